import type { CommitInfo } from "./git-repo";
import type { RepoStorage } from "./repo-storage";
import type { ApiKeyRecord, ChangeRecord, MetadataStore, RepoRecord, SyncRecord } from "./store";

/** Repo JSON as the API returns it. */
export async function repoJson(
  repo: RepoRecord,
  storage: RepoStorage,
  store: MetadataStore,
  orgSlug: string,
) {
  const latest = repo.upstream ? store.latestSync(repo.id) : undefined;
  return {
    id: repo.id,
    org: orgSlug,
    name: repo.name,
    default_bookmark: repo.defaultBookmark,
    head_change_id: await storage.headChangeId(repo),
    upstream: repo.upstream && {
      url: repo.upstream.url,
      auth_kind: repo.upstream.authKind,
      latest_sync: latest ? syncJson(latest) : null,
    },
    created_at: repo.createdAt,
    tags: repo.tags,
  };
}

/** Sync JSON. */
export function syncJson(s: SyncRecord) {
  return {
    id: s.id,
    repo_id: s.repoId,
    direction: s.direction,
    status: s.status,
    attempt: s.attempt,
    // Syncs stored before both globs were recorded lack the omitted one, which matched nothing.
    ref_globs: { branches: s.refGlobs.branches ?? "", tags: s.refGlobs.tags ?? "" },
    stats: null,
    error: s.error,
    created_at: s.createdAt,
    started_at: s.startedAt,
    finished_at: s.finishedAt,
  };
}

/** ApiKey JSON (never includes the key or its hash). */
export function apiKeyJson(k: ApiKeyRecord) {
  return {
    id: k.id,
    name: k.name,
    scopes: k.scopes,
    repo_ids: k.repoIds,
    metadata: null,
    tags: k.tags,
    last_used_at: null,
    expires_at: k.expiresAt,
    revoked_at: k.revokedAt,
    created_at: k.createdAt,
  };
}

/** Change JSON from its record, its current commit and its parents' change ids. */
export function changeJson(rec: ChangeRecord, commit: CommitInfo, parents: string[]) {
  return {
    id: rec.changeId,
    current_commit_oid: commit.oid,
    is_conflicted: false,
    message: commit.message,
    author: commit.author,
    committer: commit.committer,
    parents,
    created_at: rec.createdAt,
    updated_at: rec.updatedAt,
  };
}
