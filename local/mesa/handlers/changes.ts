import { mesaErrors } from "../errors";
import type { CommitInfo } from "../git-repo";
import { VIRTUAL_ROOT_CHANGE_ID } from "../ids";
import type { Handler, OperationContext } from "../operations";
import { changeJson } from "../serialize";
import {
  decodeCursor,
  encodeCursor,
  parseLimit,
  requireObject,
  validateBookmarkName,
} from "../validate";
import { bookmarkInfo } from "../webhooks/events";
import { parseResolutions, requireConflicted } from "./resolutions";
import { checkEditsAgainstTree, parseFileEdits, parseSignature } from "./file-edits";

/** A change as the API (and its webhook payloads) render it. */
export function renderChange(ctx: OperationContext, changeId: string, commit: CommitInfo) {
  const { storage, store } = ctx.services;
  const rec = store.changeById(ctx.repo.id, changeId);
  if (!rec) throw mesaErrors.notFound(`Change ${changeId}`);
  return changeJson(
    rec,
    commit,
    commit.parents.map((p) => storage.changeIdOf(ctx.repo, p)),
  );
}

/** `GET /{org}/{repo}/changes`: changes reachable from a bookmark (default: the default bookmark), newest first. */
export const listChanges: Handler = async (ctx) => {
  const { query, repo, services } = ctx;
  const limit = parseLimit(query.get("limit"));
  const offset = decodeCursor(query.get("cursor")) ?? 0;
  const bookmark = validateBookmarkName(query.get("bookmark") ?? repo.defaultBookmark, "bookmark");
  const git = services.storage.gitFor(repo);
  const tip = await services.storage.bookmarkTip(repo, bookmark);
  const oids = await git.revList(tip.commitOid, offset + limit + 2);
  const changes = oids
    .map((oid) => ({ oid, changeId: services.storage.changeIdOf(repo, oid) }))
    .filter((c) => c.changeId !== VIRTUAL_ROOT_CHANGE_ID);
  const page = changes.slice(offset, offset + limit);
  const hasMore = changes.length > offset + limit;
  const commits = await Promise.all(page.map((c) => git.readCommit(c.oid)));
  return {
    status: 200,
    body: {
      changes: page.map((c, i) => renderChange(ctx, c.changeId, commits[i])),
      next_cursor: hasMore ? encodeCursor(offset + limit) : null,
      has_more: hasMore,
    },
  };
};

/** `POST /{org}/{repo}/changes`: a new change on `base_change_id` with file upserts and deletes; bookmarks do not move. */
export const createChange: Handler = async (ctx) => {
  const b = requireObject(ctx.body);
  const { storage, store, ids, clock } = ctx.services;
  const edits = parseFileEdits(b.files);
  if (edits.length > 0 && (b.author === undefined || typeof b.message !== "string")) {
    throw mesaErrors.badRequest("`author` and `message` are required when `files` is provided", {
      field: b.author === undefined ? "author" : "message",
    });
  }
  if (b.message !== undefined && typeof b.message !== "string")
    throw mesaErrors.badRequest("`message` must be a string", { field: "message" });
  const at = new Date(clock.now()).toISOString();
  const fallback = { name: ctx.principal.key.name ?? "Mesa", email: "local@mesa.local", date: at };
  const author = parseSignature(b.author, "author", fallback);
  const committer = parseSignature(b.committer, "committer", { ...author, date: at });
  const base = storage.resolveOid(ctx.repo, b.base_change_id, "base_change_id");
  const git = storage.gitFor(ctx.repo);
  let tree: string;
  if (edits.length) {
    const listing = await git.listTree(base.commitOid, true);
    checkEditsAgainstTree(listing, edits);
    tree = await git.editTree(listing, edits);
  } else {
    tree = (await git.readCommit(base.commitOid)).tree;
  }
  const changeId = ids.changeId();
  const commit = {
    tree,
    parents: [base.commitOid],
    author,
    committer,
    changeId,
    message: b.message ?? "",
  };
  const oid = await git.writeCommit(commit);
  store.recordChangeCommit(ctx.repo.id, changeId, oid, at);
  const change = renderChange(ctx, changeId, { ...commit, oid });
  ctx.services.webhooks.emit({
    type: "change.created",
    org: ctx.org,
    repo: ctx.repo,
    data: { change },
  });
  return { status: 201, body: change };
};

/** `GET /{org}/{repo}/changes/{change_id}`: the change plus the paths it touches. */
export const getChange: Handler = async (ctx) => {
  const { storage } = ctx.services;
  const resolved = await storage.resolve(ctx.repo, ctx.params.change_id, "change_id");
  const git = storage.gitFor(ctx.repo);
  const parent = resolved.commit.parents[0];
  const files = parent ? await git.changedPaths(parent, resolved.commit.oid) : [];
  return {
    status: 200,
    body: { ...renderChange(ctx, resolved.changeId, resolved.commit), files, conflicts: [] },
  };
};

/**
 * `PATCH /{org}/{repo}/changes/{change_id}`: rewrites the change into a new commit (same id).
 * `base_commit_oid` guards against concurrent edits (409); bookmarks at the old commit follow it.
 */
export const updateChange: Handler = async (ctx) => {
  const b = requireObject(ctx.body);
  const { storage, store, clock, repoLocks } = ctx.services;
  // No change here is ever conflicted (DIVERGENCES.md), so any resolution names a clean path.
  requireConflicted(parseResolutions(b.resolutions), []);
  if (ctx.params.change_id === VIRTUAL_ROOT_CHANGE_ID)
    throw mesaErrors.badRequest("the virtual root change cannot be modified", {
      field: "change_id",
    });
  const edits = parseFileEdits(b.files);
  if (b.message !== undefined && typeof b.message !== "string")
    throw mesaErrors.badRequest("`message` must be a string", { field: "message" });
  if (
    b.base_commit_oid !== undefined &&
    (typeof b.base_commit_oid !== "string" || !/^[0-9a-f]{40}$/.test(b.base_commit_oid))
  ) {
    throw mesaErrors.badRequest("`base_commit_oid` must be a 40-hex commit id", {
      field: "base_commit_oid",
    });
  }
  return repoLocks.run(ctx.repo.id, async () => {
    const current = await storage.resolve(ctx.repo, ctx.params.change_id, "change_id");
    if (b.base_commit_oid !== undefined && b.base_commit_oid !== current.commit.oid) {
      throw mesaErrors.conflict(
        `change ${current.changeId} is now at commit ${current.commit.oid}, not base_commit_oid; read it again and retry`,
        {
          current_commit_oid: current.commit.oid,
        },
      );
    }
    const git = storage.gitFor(ctx.repo);
    const listing = edits.length ? await git.listTree(current.commit.tree, true) : [];
    checkEditsAgainstTree(listing, edits);
    const at = new Date(clock.now()).toISOString();
    const author = parseSignature(b.author, "author", current.commit.author);
    const committer = parseSignature(b.committer, "committer", {
      ...current.commit.committer,
      date: at,
    });
    const tree = edits.length ? await git.editTree(listing, edits) : current.commit.tree;
    const next = {
      ...current.commit,
      tree,
      author,
      committer,
      message: (b.message as string | undefined) ?? current.commit.message,
      changeId: current.changeId,
    };
    const oid = await git.writeCommit(next);
    // The mapping is written before the refs move, so no ref ever points at an unmapped commit.
    store.recordChangeCommit(ctx.repo.id, current.changeId, oid, at);
    const moved: string[] = [];
    for (const [name, tip] of await git.listRefs()) {
      if (tip === current.commit.oid && (await git.casRef(name, oid, tip))) moved.push(name);
    }
    const change = renderChange(ctx, current.changeId, { ...next, oid });
    const { webhooks } = ctx.services;
    webhooks.emit({
      type: "change.evolved",
      org: ctx.org,
      repo: ctx.repo,
      data: { change, previous_current_commit_oid: current.commit.oid },
    });
    for (const name of moved) {
      const data = {
        bookmark: bookmarkInfo(ctx.repo, name, current.changeId, oid),
        from: { change_id: current.changeId, commit_oid: current.commit.oid },
      };
      webhooks.emit({ type: "bookmark.moved", org: ctx.org, repo: ctx.repo, data });
    }
    return { status: 200, body: change };
  });
};
