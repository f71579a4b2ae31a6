/**
 * Work a repo delete would lose: bookmarks (other than the default one) whose change is not in the
 * default bookmark's history — the agents' forks with edits, a draft nobody merged. A bookmark at
 * the default bookmark's tip, at an older change of its history, or at the empty root holds
 * nothing the default bookmark lacks.
 */
import type { Mesa } from "@mesadev/sdk" with { "resolution-mode": "import" };
import type { OperationContext } from "../lifecycle";
import type { LiveRepo } from "./live-repo";

/** The empty tree's change id (the SDK's `VIRTUAL_ROOT_CHANGE_ID`). */
const VIRTUAL_ROOT = "z".repeat(32);

/** Names of the bookmarks of `repo` holding work its default bookmark does not have, sorted. */
export async function bookmarksWithUnmergedWork(
  ctx: OperationContext,
  mesa: Mesa,
  repo: LiveRepo,
): Promise<string[]> {
  const where = `${repo.org}/${repo.name}`;
  const bookmarks: { name: string; change_id: string }[] = [];
  for (let cursor: string | undefined; ;) {
    const page = await ctx.retry(`list the bookmarks of Mesa repo ${where}`, () =>
      mesa.bookmarks.list({ repo: repo.name, limit: 100, cursor }),
    );
    bookmarks.push(...page.bookmarks);
    if (!page.has_more || !page.next_cursor) break;
    cursor = page.next_cursor;
  }
  const tip =
    bookmarks.find((b) => b.name === repo.default_bookmark)?.change_id ?? repo.head_change_id;
  const others = bookmarks.filter(
    (b) => b.name !== repo.default_bookmark && b.change_id !== tip && b.change_id !== VIRTUAL_ROOT,
  );
  const unseen = new Set(others.map((b) => b.change_id));
  if (tip !== VIRTUAL_ROOT) {
    for (let cursor: string | undefined; unseen.size > 0;) {
      const page = await ctx.retry(`list the history of ${where}@${repo.default_bookmark}`, () =>
        mesa.changes.list({ repo: repo.name, bookmark: repo.default_bookmark, limit: 100, cursor }),
      );
      for (const change of page.changes) unseen.delete(change.id);
      if (!page.has_more || !page.next_cursor) break;
      cursor = page.next_cursor;
    }
  }
  return others
    .filter((b) => unseen.has(b.change_id))
    .map((b) => b.name)
    .sort();
}
