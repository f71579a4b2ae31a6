import type { Clock } from "../shared/clock";
import type { KeyedLock } from "../shared/keyed-lock";
import type { Reply } from "../shared/request-pipeline";
import type { HttpMethod } from "../shared/router";
import type { Principal } from "./auth";
import type { IdGenerator } from "./ids";
import type { RepoStorage } from "./repo-storage";
import type { MetadataStore, OrgRecord, RepoRecord, Scope } from "./store";
import type { WebhookDeliveries } from "./webhooks/delivery";

/** How one operation is reached and guarded. */
interface OperationSpec {
  method: HttpMethod;
  /** Path under `/v1`, in the SDK's template form. */
  path: string;
  /** Scope the caller needs (`admin` implies all). */
  scope: Scope;
  /** `org`: the path names an org the caller must belong to; `repo`: also a repo it may access. */
  target: "none" | "org" | "repo";
}

/**
 * The operation table, derived from `@mesadev/rest` 0.38.0 `sdk.gen.js` (one row per function).
 * Static segments (`repos`, `api-keys`, `webhook-targets`, `bookmarks/merge`) win over parameters.
 */
export const OPERATIONS = {
  whoami: { method: "GET", path: "/whoami", scope: "read", target: "none" },
  getOrg: { method: "GET", path: "/{org}", scope: "read", target: "org" },
  listApiKeys: { method: "GET", path: "/{org}/api-keys", scope: "admin", target: "org" },
  createApiKey: { method: "POST", path: "/{org}/api-keys", scope: "admin", target: "org" },
  revokeApiKey: { method: "DELETE", path: "/{org}/api-keys/{id}", scope: "admin", target: "org" },
  updateApiKey: { method: "PATCH", path: "/{org}/api-keys/{id}", scope: "admin", target: "org" },
  listWebhookTargets: {
    method: "GET",
    path: "/{org}/webhook-targets",
    scope: "admin",
    target: "org",
  },
  createWebhookTarget: {
    method: "POST",
    path: "/{org}/webhook-targets",
    scope: "admin",
    target: "org",
  },
  getWebhookTarget: {
    method: "GET",
    path: "/{org}/webhook-targets/{webhookTargetId}",
    scope: "admin",
    target: "org",
  },
  updateWebhookTarget: {
    method: "PATCH",
    path: "/{org}/webhook-targets/{webhookTargetId}",
    scope: "admin",
    target: "org",
  },
  deleteWebhookTarget: {
    method: "DELETE",
    path: "/{org}/webhook-targets/{webhookTargetId}",
    scope: "admin",
    target: "org",
  },
  listRepos: { method: "GET", path: "/{org}/repos", scope: "read", target: "org" },
  createRepo: { method: "POST", path: "/{org}/repos", scope: "write", target: "org" },
  bulkUpdateRepoTags: { method: "PATCH", path: "/{org}/repos/tags", scope: "write", target: "org" },
  getRepo: { method: "GET", path: "/{org}/{repo}", scope: "read", target: "repo" },
  updateRepo: { method: "PATCH", path: "/{org}/{repo}", scope: "write", target: "repo" },
  deleteRepo: { method: "DELETE", path: "/{org}/{repo}", scope: "admin", target: "repo" },
  syncUpstream: {
    method: "POST",
    path: "/{org}/{repo}/upstream/syncs",
    scope: "write",
    target: "repo",
  },
  listRepoUpstreamSyncs: {
    method: "GET",
    path: "/{org}/{repo}/upstream/syncs",
    scope: "read",
    target: "repo",
  },
  getRepoUpstreamSync: {
    method: "GET",
    path: "/{org}/{repo}/upstream/syncs/{syncId}",
    scope: "read",
    target: "repo",
  },
  getContent: { method: "GET", path: "/{org}/{repo}/content", scope: "read", target: "repo" },
  listBookmarks: { method: "GET", path: "/{org}/{repo}/bookmarks", scope: "read", target: "repo" },
  createBookmark: {
    method: "POST",
    path: "/{org}/{repo}/bookmarks",
    scope: "write",
    target: "repo",
  },
  getBookmark: {
    method: "GET",
    path: "/{org}/{repo}/bookmarks/{bookmark}",
    scope: "read",
    target: "repo",
  },
  deleteBookmark: {
    method: "DELETE",
    path: "/{org}/{repo}/bookmarks/{bookmark}",
    scope: "write",
    target: "repo",
  },
  moveBookmark: {
    method: "PATCH",
    path: "/{org}/{repo}/bookmarks/{bookmark}",
    scope: "write",
    target: "repo",
  },
  mergeBookmark: {
    method: "POST",
    path: "/{org}/{repo}/bookmarks/merge",
    scope: "write",
    target: "repo",
  },
  listChanges: { method: "GET", path: "/{org}/{repo}/changes", scope: "read", target: "repo" },
  createChange: { method: "POST", path: "/{org}/{repo}/changes", scope: "write", target: "repo" },
  getChange: {
    method: "GET",
    path: "/{org}/{repo}/changes/{change_id}",
    scope: "read",
    target: "repo",
  },
  updateChange: {
    method: "PATCH",
    path: "/{org}/{repo}/changes/{change_id}",
    scope: "write",
    target: "repo",
  },
  getDiff: { method: "GET", path: "/{org}/{repo}/diff", scope: "read", target: "repo" },
} as const satisfies Record<string, OperationSpec>;

/** Every operation id; a handler table missing one is a compile error. */
export type OperationId = keyof typeof OPERATIONS;

/** Long-lived collaborators shared by every handler. */
export interface MesaServices {
  store: MetadataStore;
  storage: RepoStorage;
  ids: IdGenerator;
  clock: Clock;
  /** Serializes read-modify-write sequences per repo id. */
  repoLocks: KeyedLock;
  /** Where handlers raise webhook events, after their write succeeded. */
  webhooks: WebhookDeliveries;
}

/** What a handler receives: the verified caller and the validated target. */
export interface OperationContext {
  services: MesaServices;
  principal: Principal;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  /** The request's `Accept` header (empty when absent). */
  accept: string;
  /** The org named in the path (the caller's own org), when the operation has one. */
  org: OrgRecord;
  /** The repo named in the path, resolved and access-checked, for repo operations. */
  repo: RepoRecord;
}

/** One handler per operation; the pipeline writes its reply. */
export type Handler = (ctx: OperationContext) => Promise<Reply>;
export type Handlers = Record<OperationId, Handler>;
