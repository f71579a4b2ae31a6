/**
 * MesaRepo `delete`: deletes the repo and its history; a repo already gone is fine. It refuses
 * while bookmarks other than the default one hold work (see `unmerged-work.ts`), naming them,
 * unless `forceDestroy` is set.
 */
import { mesaClient } from "../clients";
import type { OperationContext } from "../lifecycle";
import { statusOf } from "../retry";
import { findRepo } from "./live-repo";
import type { MesaRepoOutputs } from "./state";
import { bookmarksWithUnmergedWork } from "./unmerged-work";

/** Bookmarks named in the refusal; the rest are counted. */
const NAMED_BOOKMARKS = 10;

export async function deleteRepo(
  id: string,
  state: MesaRepoOutputs,
  ctx: OperationContext,
): Promise<void> {
  const live = await findRepo(ctx, state.org, state.name, id);
  if (!live) return;
  const settings = await ctx.mesa();
  const mesa = await mesaClient(settings, live.org);
  if (state.forceDestroy !== true) {
    const holding = await bookmarksWithUnmergedWork(ctx, mesa, live);
    if (holding.length > 0)
      throw new Error(refusal(live.org, live.name, live.default_bookmark, holding));
  }
  await ctx.retry(`delete Mesa repo ${live.org}/${live.name}`, async () => {
    try {
      await mesa.repos.delete({ repo: live.name });
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
    }
  });
}

function refusal(org: string, name: string, defaultBookmark: string, bookmarks: string[]): string {
  const named = bookmarks.slice(0, NAMED_BOOKMARKS).join(", ");
  const more =
    bookmarks.length > NAMED_BOOKMARKS ? ` and ${bookmarks.length - NAMED_BOOKMARKS} more` : "";
  return (
    `Mesa repo ${org}/${name} was not deleted: bookmarks ${named}${more} hold work that its default bookmark "${defaultBookmark}" does not have ` +
    `(such as the agents' forks), and deleting the repo would lose it. Merge that work into "${defaultBookmark}" or delete those bookmarks; ` +
    `or, to delete it anyway, set forceDestroy: true on the MesaRepo (in an AgentEnvironment: repo: { forceDestroy: true }), run \`pulumi up\`, then delete again.`
  );
}
