/**
 * SuperserveTemplate `import` (`pulumi import`, plugin only): the template an import id names (its
 * name or its id) with its latest build, as a create would have recorded it. Superserve does not
 * report a template's build spec, so `from`, `steps`, `startCmd` and `readyCmd` are taken from the
 * program on the first `up` (see `ImportedObject`).
 */
import type { ImportedObject, OperationContext } from "../lifecycle";
import { connect, outputsOf, readBuild } from "./live-template";
import type { SuperserveTemplateInputs, SuperserveTemplateOutputs } from "./state";

export async function importTemplate(
  id: string,
  ctx: OperationContext,
): Promise<ImportedObject<SuperserveTemplateOutputs> | undefined> {
  const template = await connect(ctx, id);
  if (!template) return undefined;
  const buildId = template.latestBuildId;
  const build = buildId ? await readBuild(ctx, template, buildId) : undefined;
  const seed = { pulumiUrn: ctx.urn, name: template.name } as SuperserveTemplateInputs;
  return {
    id: template.id,
    outs: outputsOf(seed, template, build),
    unreported: ["from", "steps", "startCmd", "readyCmd"],
  };
}
