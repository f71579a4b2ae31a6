/**
 * SuperserveTemplate `read` (refresh): the template's status, size and latest build over the
 * recorded state, or undefined when it is gone.
 */
import type { OperationContext } from "../lifecycle";
import { connect, outputsOf, readBuild } from "./live-template";
import type { SuperserveTemplateOutputs } from "./state";

export async function readTemplate(
  id: string,
  state: SuperserveTemplateOutputs,
  ctx: OperationContext,
): Promise<SuperserveTemplateOutputs | undefined> {
  const template = await connect(ctx, id);
  if (!template) return undefined;
  const buildId = template.latestBuildId;
  const build =
    buildId && buildId !== state.buildId ? await readBuild(ctx, template, buildId) : undefined;
  return outputsOf(state, template, build, state);
}
