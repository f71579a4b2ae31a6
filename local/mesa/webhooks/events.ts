import type { RepoStorage } from "../repo-storage";
import { syncJson } from "../serialize";
import type { OrgRecord, RepoRecord, SyncRecord } from "../store";

/** Every event a webhook target can subscribe to (`@mesadev/sdk` 0.38.0 `WebhookEventSchema`). */
export const WEBHOOK_EVENTS = [
  "repo.created",
  "repo.updated",
  "repo.deleted",
  "bookmark.created",
  "bookmark.deleted",
  "bookmark.moved",
  "bookmark.merged",
  "change.created",
  "change.evolved",
  "push",
  "sync.queued",
  "sync.in_progress",
  "sync.completed",
  "sync.failed",
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENTS)[number];

/** One event as the handlers raise it; the envelope (id, time, org) is added on emit. */
export interface WebhookEvent {
  type: WebhookEventType;
  org: OrgRecord;
  repo: RepoRecord;
  data: Record<string, unknown>;
}

/** The `repo` of repo.* payloads. */
export async function repoInfo(repo: RepoRecord, storage: RepoStorage) {
  return {
    id: repo.id,
    name: repo.name,
    default_bookmark: repo.defaultBookmark,
    head_change_id: await storage.headChangeId(repo),
    created_at: repo.createdAt,
    tags: repo.tags,
  };
}

/** The `before` / `after` of repo.updated. */
export const repoSnapshot = (repo: RepoRecord) => ({
  name: repo.name,
  default_bookmark: repo.defaultBookmark,
  tags: repo.tags,
});

/** The `bookmark` of bookmark.* payloads. */
export const bookmarkInfo = (
  repo: RepoRecord,
  name: string,
  changeId: string,
  commitOid: string,
) => ({
  name,
  is_default: name === repo.defaultBookmark,
  change_id: changeId,
  commit_oid: commitOid,
});

/** A sync.* event of `sync` in the state its status says. */
export const syncEvent = (
  sync: SyncRecord,
): { type: WebhookEventType; data: Record<string, unknown> } => ({
  type: `sync.${sync.status}` as WebhookEventType,
  data: { sync: syncJson(sync) },
});
