import { mesaErrors } from "../errors";
import { ZERO_OID } from "../git-repo";
import type { Handler, OperationContext } from "../operations";
import { bookmarkInfo } from "../webhooks/events";
import {
  decodeCursor,
  encodeCursor,
  parseLimit,
  requireObject,
  validateBookmarkName,
} from "../validate";

const globToRegExp = (glob: string) =>
  new RegExp(
    `^${glob
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".")}$`,
  );

const bookmarkJson = (ctx: OperationContext, name: string, changeId: string) => ({
  name,
  change_id: changeId,
  is_default: name === ctx.repo.defaultBookmark,
});

/** `GET /{org}/{repo}/bookmarks`: sorted by name, `glob` with `*` and `?`. */
export const listBookmarks: Handler = async (ctx) => {
  const { query, repo, services } = ctx;
  const limit = parseLimit(query.get("limit"));
  const offset = decodeCursor(query.get("cursor")) ?? 0;
  const glob = query.get("glob");
  const re = glob ? globToRegExp(glob) : undefined;
  const refs = [...(await services.storage.gitFor(repo).listRefs())]
    .filter(([name]) => !re || re.test(name))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const page = refs.slice(offset, offset + limit);
  const hasMore = refs.length > offset + limit;
  return {
    status: 200,
    body: {
      bookmarks: page.map(([name, oid]) =>
        bookmarkJson(ctx, name, services.storage.changeIdOf(repo, oid)),
      ),
      next_cursor: hasMore ? encodeCursor(offset + limit) : null,
      has_more: hasMore,
    },
  };
};

/** `GET /{org}/{repo}/bookmarks/{bookmark}`. */
export const getBookmark: Handler = async (ctx) => {
  const name = validateBookmarkName(ctx.params.bookmark, "bookmark");
  const tip = await ctx.services.storage.bookmarkTip(ctx.repo, name);
  return { status: 200, body: bookmarkJson(ctx, name, tip.changeId) };
};

/** `POST /{org}/{repo}/bookmarks`: 409 when it exists. */
export const createBookmark: Handler = async (ctx) => {
  const b = requireObject(ctx.body);
  const name = validateBookmarkName(b.name);
  const { storage, repoLocks } = ctx.services;
  const target = await storage.resolve(ctx.repo, b.change_id, "change_id");
  return repoLocks.run(ctx.repo.id, async () => {
    const created = await storage.gitFor(ctx.repo).casRef(name, target.commit.oid, ZERO_OID);
    if (!created)
      throw mesaErrors.conflict(
        `Bookmark "${name}" already exists (or clashes with "${name}/…"); move it instead`,
        { field: "name" },
      );
    const bookmark = bookmarkInfo(ctx.repo, name, target.changeId, target.commit.oid);
    ctx.services.webhooks.emit({
      type: "bookmark.created",
      org: ctx.org,
      repo: ctx.repo,
      data: { bookmark },
    });
    return { status: 201, body: bookmarkJson(ctx, name, target.changeId) };
  });
};

/** `DELETE /{org}/{repo}/bookmarks/{bookmark}`: the default bookmark cannot be deleted. */
export const deleteBookmark: Handler = async (ctx) => {
  const name = validateBookmarkName(ctx.params.bookmark, "bookmark");
  if (name === ctx.repo.defaultBookmark) {
    throw mesaErrors.badRequest(
      `"${name}" is the default bookmark; set another default_bookmark before deleting it`,
      { field: "bookmark" },
    );
  }
  const { storage, repoLocks } = ctx.services;
  return repoLocks.run(ctx.repo.id, async () => {
    const tip = await storage.bookmarkTip(ctx.repo, name);
    if (!(await storage.gitFor(ctx.repo).deleteRef(name, tip.commitOid))) {
      throw mesaErrors.conflict(`Bookmark "${name}" moved while deleting; retry`);
    }
    const bookmark = bookmarkInfo(ctx.repo, name, tip.changeId, tip.commitOid);
    ctx.services.webhooks.emit({
      type: "bookmark.deleted",
      org: ctx.org,
      repo: ctx.repo,
      data: { bookmark },
    });
    return { status: 200, body: { success: true } };
  });
};

/**
 * `PATCH /{org}/{repo}/bookmarks/{bookmark}`: moves a bookmark forward. A move to a change that
 * does not descend from the current tip would drop the edits made since, so it answers 409.
 */
export const moveBookmark: Handler = async (ctx) => {
  const name = validateBookmarkName(ctx.params.bookmark, "bookmark");
  const b = requireObject(ctx.body);
  const { storage, repoLocks } = ctx.services;
  const git = storage.gitFor(ctx.repo);
  const target = await storage.resolve(ctx.repo, b.change_id, "change_id");
  return repoLocks.run(ctx.repo.id, async () => {
    const tip = await storage.bookmarkTip(ctx.repo, name);
    if (!(await git.isAncestor(tip.commitOid, target.commit.oid))) {
      throw mesaErrors.conflict(
        `Bookmark "${name}" is at change ${tip.changeId}, which change ${target.changeId} does not descend from; moving it would drop those edits. Rebase your change onto ${tip.changeId} (create it with base_change_id ${tip.changeId}) or merge, then move again`,
        { bookmark: name, current_change_id: tip.changeId },
      );
    }
    if (!(await git.casRef(name, target.commit.oid, tip.commitOid))) {
      throw mesaErrors.conflict(`Bookmark "${name}" moved concurrently; read it again and retry`, {
        bookmark: name,
      });
    }
    if (tip.commitOid !== target.commit.oid) {
      const data = {
        bookmark: bookmarkInfo(ctx.repo, name, target.changeId, target.commit.oid),
        from: { change_id: tip.changeId, commit_oid: tip.commitOid },
      };
      ctx.services.webhooks.emit({ type: "bookmark.moved", org: ctx.org, repo: ctx.repo, data });
    }
    return {
      status: 200,
      body: { ...bookmarkJson(ctx, name, target.changeId), from_change_id: tip.changeId },
    };
  });
};
