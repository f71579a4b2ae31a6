import { mesaErrors } from "../errors";
import type { Handler } from "../operations";
import { syncJson } from "../serialize";
import { syncEvent } from "../webhooks/events";
import type { SyncRecord } from "../store";
import { decodeCursor, encodeCursor, parseLimit, requireObject } from "../validate";

/** Why every upstream sync of the local backend fails. */
const SYNC_UNAVAILABLE_MESSAGE =
  "upstream sync is not available in the local Mesa backend (no network access); push or pull with git outside Mesa";

/**
 * `ref_globs` with both globs, as every sync answer carries them: omitted means all branches and
 * tags (`*`); one glob given means none of the other kind (`""`).
 */
function parseRefGlobs(raw: unknown): SyncRecord["refGlobs"] {
  if (raw === undefined) return { branches: "*", tags: "*" };
  const globs = requireObject(raw, "ref_globs");
  for (const field of ["branches", "tags"] as const) {
    if (globs[field] !== undefined && typeof globs[field] !== "string") {
      throw mesaErrors.badRequest(`\`ref_globs.${field}\` must be a glob string such as "*"`, {
        field: `ref_globs.${field}`,
      });
    }
  }
  if (globs.branches === undefined && globs.tags === undefined) {
    throw mesaErrors.badRequest(
      "`ref_globs` needs `branches` and/or `tags` (omit `ref_globs` to sync everything)",
      { field: "ref_globs" },
    );
  }
  return {
    branches: (globs.branches as string | undefined) ?? "",
    tags: (globs.tags as string | undefined) ?? "",
  };
}

/** `POST /{org}/{repo}/upstream/syncs`: records the request and finishes it as `failed`. */
export const syncUpstream: Handler = async ({ org, repo, body, services }) => {
  const b = requireObject(body);
  if (!repo.upstream)
    throw mesaErrors.badRequest("repo has no upstream; set `upstream` with repos.update first", {
      field: "upstream",
    });
  if (b.direction !== "pull" && b.direction !== "push") {
    throw mesaErrors.badRequest("`direction` must be pull or push", { field: "direction" });
  }
  const refGlobs = parseRefGlobs(b.ref_globs);
  const at = new Date(services.clock.now()).toISOString();
  const sync = services.store.insertSync({
    id: services.ids.id("sync"),
    repoId: repo.id,
    direction: b.direction,
    status: "failed",
    attempt: 1,
    refGlobs,
    error: SYNC_UNAVAILABLE_MESSAGE,
    createdAt: at,
    startedAt: at,
    finishedAt: at,
  });
  // The run's life as the service reports it: queued, started, then failed (at once, here).
  const stages: SyncRecord[] = [
    { ...sync, status: "queued", error: null, startedAt: null, finishedAt: null },
    { ...sync, status: "in_progress", error: null, finishedAt: null },
    sync,
  ];
  for (const stage of stages) services.webhooks.emit({ ...syncEvent(stage), org, repo });
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
    body: {
      syncs: page.map(syncJson),
      next_cursor: hasMore ? encodeCursor(page[page.length - 1].seq) : null,
      has_more: hasMore,
    },
  };
};

/** `GET /{org}/{repo}/upstream/syncs/{syncId}`. */
export const getRepoUpstreamSync: Handler = async ({ repo, params, services }) => {
  const sync = services.store.syncById(repo.id, params.syncId);
  if (!sync) throw mesaErrors.notFound(`Sync ${params.syncId}`);
  return { status: 200, body: syncJson(sync) };
};
