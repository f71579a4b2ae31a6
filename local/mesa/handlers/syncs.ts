import { mesaErrors } from "../errors";
import type { Handler } from "../operations";
import { syncJson } from "../serialize";
import { decodeCursor, encodeCursor, parseLimit, requireObject } from "../validate";

/** Why every upstream sync of the local backend fails. */
const SYNC_UNAVAILABLE_MESSAGE =
  "upstream sync is not available in the local Mesa backend (no network access); push or pull with git outside Mesa";

/** `POST /{org}/{repo}/upstream/syncs`: records the request and finishes it as `failed`. */
export const syncUpstream: Handler = async ({ repo, body, services }) => {
  const b = requireObject(body ?? {});
  if (!repo.upstream) throw mesaErrors.badRequest("repo has no upstream; set `upstream` with repos.update first", { field: "upstream" });
  if (b.direction !== "pull" && b.direction !== "push") {
    throw mesaErrors.badRequest("`direction` must be pull or push", { field: "direction" });
  }
  const globs = b.ref_globs === undefined ? { branches: "*" } : requireObject(b.ref_globs);
  if ((globs.branches !== undefined && typeof globs.branches !== "string") || (globs.tags !== undefined && typeof globs.tags !== "string") || (globs.branches === undefined && globs.tags === undefined)) {
    throw mesaErrors.badRequest("`ref_globs` needs `branches` and/or `tags` glob strings", { field: "ref_globs" });
  }
  const at = new Date(services.clock.now()).toISOString();
  const sync = services.store.insertSync({
    id: services.ids.id("sync"),
    repoId: repo.id,
    direction: b.direction,
    status: "failed",
    attempt: 1,
    refGlobs: globs,
    error: SYNC_UNAVAILABLE_MESSAGE,
    createdAt: at,
    startedAt: at,
    finishedAt: at,
  });
  return { status: 201, body: syncJson(sync) };
};

/** `GET /{org}/{repo}/upstream/syncs`: newest first. */
export const listRepoUpstreamSyncs: Handler = async ({ repo, query, services }) => {
  const limit = parseLimit(query.get("limit"));
  const before = decodeCursor(query.get("cursor")) ?? Number.MAX_SAFE_INTEGER;
  const all = services.store.listSyncs(repo.id, before);
  const page = all.slice(0, limit);
  const hasMore = all.length > limit;
  return {
    status: 200,
    body: { syncs: page.map(syncJson), next_cursor: hasMore ? encodeCursor(page[page.length - 1].seq) : null, has_more: hasMore },
  };
};

/** `GET /{org}/{repo}/upstream/syncs/{syncId}`. */
export const getRepoUpstreamSync: Handler = async ({ repo, params, services }) => {
  const sync = services.store.syncById(repo.id, params.syncId);
  if (!sync) throw mesaErrors.notFound(`Sync ${params.syncId}`);
  return { status: 200, body: syncJson(sync) };
};
