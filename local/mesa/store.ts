/** Metadata of the local Mesa backend (bytes live in git; see git-repo.ts). */

export type Scope = "read" | "write" | "admin";

export interface OrgRecord {
  id: string;
  slug: string;
  name: string;
  createdAt: string;
}

export interface ApiKeyRecord {
  id: string;
  orgId: string;
  name: string | null;
  /** base64url(sha256(raw key)) — the only form in which a key is stored. */
  keyHash: string;
  scopes: Scope[];
  repoIds: string[] | null;
  tags: Record<string, string>;
  expiresAt: string | null;
  revokedAt: string | null;
  createdAt: string;
}

export interface UpstreamRecord {
  url: string;
  authKind: "token" | "username_password" | null;
}

export interface RepoRecord {
  id: string;
  orgId: string;
  name: string;
  defaultBookmark: string;
  tags: Record<string, string>;
  upstream: UpstreamRecord | null;
  createdAt: string;
  /** Insertion order, used as the pagination cursor. */
  seq: number;
}

export interface ChangeRecord {
  repoId: string;
  changeId: string;
  commitOid: string;
  createdAt: string;
  updatedAt: string;
}

export interface SyncRecord {
  id: string;
  repoId: string;
  direction: "pull" | "push";
  status: "queued" | "in_progress" | "completed" | "failed";
  attempt: number;
  /** Both globs; `""` matches nothing. */
  refGlobs: { branches: string; tags: string };
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  seq: number;
}

export interface WebhookTargetRecord {
  id: string;
  orgId: string;
  name: string | null;
  url: string;
  events: string[];
  /** null = every repo of the org. */
  repoIds: string[] | null;
  /** The signing secret (HMAC-SHA256 key); answered only by the create call. */
  secret: string;
  createdAt: string;
  updatedAt: string;
  seq: number;
}

/** One event on its way to one target. */
export interface WebhookDeliveryRecord {
  id: string;
  targetId: string;
  eventType: string;
  /** The exact JSON body sent (and signed) on every attempt. */
  body: string;
  attempts: number;
  status: "pending" | "delivered" | "failed";
  /** When the next attempt is due (pending deliveries only). */
  nextAttemptAt: string | null;
  lastError: string | null;
  createdAt: string;
}

/** The metadata store; every method is atomic, {@link MetadataStore.transaction} groups several. */
export interface MetadataStore {
  transaction<T>(fn: () => T): T;

  orgBySlug(slug: string): OrgRecord | undefined;
  orgById(id: string): OrgRecord | undefined;
  insertOrg(org: OrgRecord): void;

  insertApiKey(key: ApiKeyRecord): void;
  apiKeyByHash(hash: string): ApiKeyRecord | undefined;
  apiKeyById(id: string): ApiKeyRecord | undefined;
  listApiKeys(orgId: string): ApiKeyRecord[];
  revokeApiKey(id: string, at: string): void;
  updateApiKeyTags(id: string, tags: Record<string, string>): void;

  insertRepo(repo: Omit<RepoRecord, "seq">): RepoRecord;
  repoByName(orgId: string, name: string): RepoRecord | undefined;
  repoById(id: string): RepoRecord | undefined;
  /** Repos with `seq > afterSeq`, in creation order. */
  listRepos(orgId: string, afterSeq: number): RepoRecord[];
  countRepos(orgId: string): number;
  updateRepo(repo: RepoRecord): void;
  deleteRepo(id: string): void;

  /** Records that `commitOid` is the current commit of `changeId` (creating or evolving it). */
  recordChangeCommit(repoId: string, changeId: string, commitOid: string, at: string): void;
  changeByCommit(repoId: string, commitOid: string): ChangeRecord | undefined;
  changeById(repoId: string, changeId: string): ChangeRecord | undefined;

  insertSync(sync: Omit<SyncRecord, "seq">): SyncRecord;
  updateSync(sync: SyncRecord): void;
  syncById(repoId: string, id: string): SyncRecord | undefined;
  /** Syncs newest first with `seq < beforeSeq`. */
  listSyncs(repoId: string, beforeSeq: number): SyncRecord[];
  latestSync(repoId: string): SyncRecord | undefined;

  insertWebhookTarget(target: Omit<WebhookTargetRecord, "seq">): WebhookTargetRecord;
  webhookTargetById(id: string): WebhookTargetRecord | undefined;
  /** Targets with `seq > afterSeq`, in creation order. */
  listWebhookTargets(orgId: string, afterSeq: number): WebhookTargetRecord[];
  updateWebhookTarget(target: WebhookTargetRecord): void;
  /** Removes the target and whatever is still to be delivered to it. */
  deleteWebhookTarget(id: string): void;

  insertWebhookDelivery(delivery: WebhookDeliveryRecord): void;
  webhookDeliveryById(id: string): WebhookDeliveryRecord | undefined;
  updateWebhookDelivery(delivery: WebhookDeliveryRecord): void;
  pendingWebhookDeliveries(): WebhookDeliveryRecord[];

  close(): void;
}
