/**
 * MesaRepo `update`: patch the live repo (name, default bookmark, tags, upstream) in place. A
 * change of the provider's own settings alone (`forceDestroy`, `timeoutSeconds`) makes no call.
 */
import type { OperationContext } from "../lifecycle";
import { findRepo, outputsOf, reconcile } from "./live-repo";
import type { MesaRepoInputs, MesaRepoOutputs } from "./state";

/** True when `news` asks nothing of the live repo that `olds` (the recorded outputs) does not have. */
function sameRemote(olds: MesaRepoOutputs, news: MesaRepoInputs): boolean {
  const canonical = (v: unknown) =>
    JSON.stringify(v ?? null, (_key, x: unknown) =>
      x && typeof x === "object" && !Array.isArray(x)
        ? Object.fromEntries(Object.entries(x).sort())
        : x,
    );
  const same = (a: unknown, b: unknown) => canonical(a) === canonical(b);
  return (
    olds.name === news.name &&
    (news.org === undefined || news.org === olds.org) &&
    (news.defaultBookmark === undefined || news.defaultBookmark === olds.defaultBookmark) &&
    same(olds.tags, news.tags) &&
    same(olds.upstream, news.upstream)
  );
}

export async function updateRepo(
  id: string,
  olds: MesaRepoOutputs,
  news: MesaRepoInputs,
  ctx: OperationContext,
): Promise<MesaRepoOutputs> {
  if (sameRemote(olds, news))
    return {
      ...olds,
      ...news,
      org: olds.org,
      defaultBookmark: olds.defaultBookmark,
      headChangeId: olds.headChangeId,
    };
  const live = await findRepo(ctx, olds.org, olds.name, id);
  if (!live)
    throw new Error(
      `Mesa repo ${olds.org}/${olds.name} (${id}) no longer exists. Run \`pulumi refresh\` to drop it from the stack, then \`pulumi up\` to create it again.`,
    );
  const final = await reconcile(ctx, live, news, olds.upstream);
  return outputsOf(news, final);
}
