/**
 * MesaRepo `import` (`pulumi import`, plugin only): the repo an import id names, `<org>/<name>`
 * or `<name>` (in the configured org, else the API key's), as a create would have recorded it.
 */
import type { ImportedObject, OperationContext } from "../lifecycle";
import { findRepo, outputsOf } from "./live-repo";
import type { MesaRepoOutputs } from "./state";

export async function importRepo(
  id: string,
  ctx: OperationContext,
): Promise<ImportedObject<MesaRepoOutputs> | undefined> {
  const parts = id.split("/");
  if (parts.length > 2 || parts.some((p) => p === "")) {
    throw new Error(
      `Import id "${id}" is not a Mesa repo: use <org>/<name> (e.g. acme/agent-workspace), or <name> for a repo in your API key's org.`,
    );
  }
  const [org, name] = parts.length === 2 ? parts : [await ctx.mesaOrg(), parts[0]];
  const live = await findRepo(ctx, org, name);
  if (!live) return undefined;
  const seed = { pulumiUrn: ctx.urn, name: live.name, tags: {}, forceDestroy: false };
  return {
    id: live.id,
    outs: outputsOf(seed, live),
    // Mesa reports an upstream's URL and kind of credentials, never the credentials.
    unreported: live.upstream?.auth_kind ? ["upstream"] : [],
  };
}
