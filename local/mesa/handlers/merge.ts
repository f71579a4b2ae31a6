import { mesaErrors } from "../errors";
import { truncateToSeconds } from "../git-repo";
import type { Handler } from "../operations";
import { requireObject, validateBookmarkName } from "../validate";
import { bookmarkInfo } from "../webhooks/events";
import { renderChange } from "./changes";
import { parseResolutions, requireConflicted, resolutionEdits } from "./resolutions";

/**
 * `POST /{org}/{repo}/bookmarks/merge`: merges `source` into `target` with git's three-way
 * merge. No-op when source is already contained; otherwise a merge commit (new change) moves
 * `target` by compare-and-swap. Conflicts answer 409 `MERGE_CONFLICT` and persist nothing.
 */
export const mergeBookmark: Handler = async (ctx) => {
  const b = requireObject(ctx.body);
  const target = validateBookmarkName(b.target, "target");
  const source = validateBookmarkName(b.source, "source");
  const resolutions = parseResolutions(b.resolutions);
  if (b.allow_conflicted !== undefined && typeof b.allow_conflicted !== "boolean") {
    throw mesaErrors.badRequest("`allow_conflicted` must be a boolean", {
      field: "allow_conflicted",
    });
  }
  if (b.delete_source !== undefined && typeof b.delete_source !== "boolean") {
    throw mesaErrors.badRequest("`delete_source` must be a boolean", { field: "delete_source" });
  }
  if (b.message !== undefined && typeof b.message !== "string")
    throw mesaErrors.badRequest("`message` must be a string", { field: "message" });
  if (target === source)
    throw mesaErrors.badRequest("`source` and `target` must be different bookmarks", {
      field: "source",
    });
  const { storage, store, ids, clock, repoLocks } = ctx.services;
  const git = storage.gitFor(ctx.repo);
  return repoLocks.run(ctx.repo.id, async () => {
    const t = await storage.bookmarkTip(ctx.repo, target);
    const s = await storage.bookmarkTip(ctx.repo, source);
    const deleteSource = b.delete_source === true && source !== ctx.repo.defaultBookmark;
    const finish = async (
      mergeType: "merge_commit" | "no_op",
      commitOid: string,
      changeId: string,
    ) => {
      if (deleteSource && (await git.deleteRef(source, s.commitOid))) {
        const bookmark = bookmarkInfo(ctx.repo, source, s.changeId, s.commitOid);
        ctx.services.webhooks.emit({
          type: "bookmark.deleted",
          org: ctx.org,
          repo: ctx.repo,
          data: { bookmark },
        });
      }
      return {
        status: 200,
        body: {
          merge_type: mergeType,
          is_conflicted: false,
          commit_oid: commitOid,
          change_id: changeId,
          target,
          source,
          source_deleted: deleteSource,
        },
      };
    };
    if (await git.isAncestor(s.commitOid, t.commitOid))
      return finish("no_op", t.commitOid, t.changeId);
    const merged = await git.mergeTrees(t.commitOid, s.commitOid);
    requireConflicted(resolutions, merged.conflicts);
    const edits = await resolutionEdits(git, resolutions, {
      target: t.commitOid,
      source: s.commitOid,
    });
    const unresolved = merged.conflicts.filter((p) => !resolutions.some((r) => r.path === p));
    if (unresolved.length > 0) {
      if (b.allow_conflicted === true)
        throw mesaErrors.notImplemented(
          "bookmarks.merge with `allow_conflicted` on a conflicting merge (conflicted changes)",
        );
      throw mesaErrors.mergeConflict(
        `merging "${source}" into "${target}" conflicts in ${unresolved.length} path(s); pass whole-file \`resolutions\` for them, or resolve them in a change on "${target}" and merge again`,
        unresolved,
      );
    }
    const tree = edits.length
      ? await git.editTree(await git.listTree(merged.tree, true), edits)
      : merged.tree;
    const at = new Date(clock.now()).toISOString();
    const sig = {
      name: ctx.principal.key.name ?? "Mesa",
      email: "local@mesa.local",
      date: truncateToSeconds(at),
    };
    const changeId = ids.changeId();
    const oid = await git.writeCommit({
      tree,
      parents: [t.commitOid, s.commitOid],
      author: sig,
      committer: sig,
      changeId,
      message: (b.message as string | undefined) ?? `Merge bookmark '${source}' into '${target}'`,
    });
    store.recordChangeCommit(ctx.repo.id, changeId, oid, at);
    if (!(await git.casRef(target, oid, t.commitOid)))
      throw mesaErrors.conflict(`Bookmark "${target}" moved during the merge; retry`);
    const change = renderChange(ctx, changeId, await git.readCommit(oid));
    ctx.services.webhooks.emit({
      type: "change.created",
      org: ctx.org,
      repo: ctx.repo,
      data: { change },
    });
    ctx.services.webhooks.emit({
      type: "bookmark.merged",
      org: ctx.org,
      repo: ctx.repo,
      data: { bookmark: bookmarkInfo(ctx.repo, target, changeId, oid) },
    });
    return finish("merge_commit", oid, changeId);
  });
};
