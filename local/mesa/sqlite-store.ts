import Database from "better-sqlite3";
import { dirname, join } from "node:path";
import { privateDatabaseFile } from "../shared/data-dir";
import { SecretSealer } from "../shared/secret-sealing";
import type {
  ApiKeyRecord,
  ChangeRecord,
  MetadataStore,
  OrgRecord,
  RepoRecord,
  SyncRecord,
  WebhookDeliveryRecord,
  WebhookTargetRecord,
} from "./store";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS orgs (id TEXT PRIMARY KEY, slug TEXT NOT NULL UNIQUE, name TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS api_keys (
  id TEXT PRIMARY KEY, org_id TEXT NOT NULL, name TEXT, key_hash TEXT NOT NULL UNIQUE, scopes TEXT NOT NULL,
  repo_ids TEXT, tags TEXT NOT NULL, expires_at TEXT, revoked_at TEXT, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS repos (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, org_id TEXT NOT NULL, name TEXT NOT NULL,
  default_bookmark TEXT NOT NULL, tags TEXT NOT NULL, upstream TEXT, created_at TEXT NOT NULL,
  UNIQUE (org_id, name));
CREATE TABLE IF NOT EXISTS change_commits (
  repo_id TEXT NOT NULL, commit_oid TEXT NOT NULL, change_id TEXT NOT NULL, PRIMARY KEY (repo_id, commit_oid));
CREATE TABLE IF NOT EXISTS changes (
  repo_id TEXT NOT NULL, change_id TEXT NOT NULL, commit_oid TEXT NOT NULL, created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL, PRIMARY KEY (repo_id, change_id));
CREATE TABLE IF NOT EXISTS syncs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, repo_id TEXT NOT NULL, direction TEXT NOT NULL,
  status TEXT NOT NULL, attempt INTEGER NOT NULL, ref_globs TEXT NOT NULL, error TEXT, created_at TEXT NOT NULL,
  started_at TEXT, finished_at TEXT);
CREATE TABLE IF NOT EXISTS webhook_targets (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, org_id TEXT NOT NULL, name TEXT, url TEXT NOT NULL,
  events TEXT NOT NULL, repo_ids TEXT, secret TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS webhook_deliveries (
  id TEXT PRIMARY KEY, target_id TEXT NOT NULL, event_type TEXT NOT NULL, body TEXT NOT NULL, attempts INTEGER NOT NULL,
  status TEXT NOT NULL, next_attempt_at TEXT, last_error TEXT, created_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS webhook_deliveries_pending ON webhook_deliveries (status);
`;

type Row = Record<string, unknown>;
const json = <T>(v: unknown): T => JSON.parse(v as string) as T;

const toOrg = (r: Row): OrgRecord => ({
  id: r.id as string,
  slug: r.slug as string,
  name: r.name as string,
  createdAt: r.created_at as string,
});

const toKey = (r: Row): ApiKeyRecord => ({
  id: r.id as string,
  orgId: r.org_id as string,
  name: (r.name as string | null) ?? null,
  keyHash: r.key_hash as string,
  scopes: json(r.scopes),
  repoIds: r.repo_ids === null ? null : json(r.repo_ids),
  tags: json(r.tags),
  expiresAt: (r.expires_at as string | null) ?? null,
  revokedAt: (r.revoked_at as string | null) ?? null,
  createdAt: r.created_at as string,
});

const toRepo = (r: Row): RepoRecord => ({
  id: r.id as string,
  orgId: r.org_id as string,
  name: r.name as string,
  defaultBookmark: r.default_bookmark as string,
  tags: json(r.tags),
  upstream: r.upstream === null ? null : json(r.upstream),
  createdAt: r.created_at as string,
  seq: r.seq as number,
});

const toChange = (r: Row): ChangeRecord => ({
  repoId: r.repo_id as string,
  changeId: r.change_id as string,
  commitOid: r.commit_oid as string,
  createdAt: r.created_at as string,
  updatedAt: r.updated_at as string,
});

const toSync = (r: Row): SyncRecord => ({
  id: r.id as string,
  repoId: r.repo_id as string,
  direction: r.direction as SyncRecord["direction"],
  status: r.status as SyncRecord["status"],
  attempt: r.attempt as number,
  refGlobs: json(r.ref_globs),
  error: (r.error as string | null) ?? null,
  createdAt: r.created_at as string,
  startedAt: (r.started_at as string | null) ?? null,
  finishedAt: (r.finished_at as string | null) ?? null,
  seq: r.seq as number,
});

/** A webhook target row, with its signing secret opened (`secret`). */
const toTarget = (r: Row, secret: string): WebhookTargetRecord => ({
  id: r.id as string,
  orgId: r.org_id as string,
  name: (r.name as string | null) ?? null,
  url: r.url as string,
  events: json(r.events),
  repoIds: r.repo_ids === null ? null : json(r.repo_ids),
  secret,
  createdAt: r.created_at as string,
  updatedAt: r.updated_at as string,
  seq: r.seq as number,
});

const toDelivery = (r: Row): WebhookDeliveryRecord => ({
  id: r.id as string,
  targetId: r.target_id as string,
  eventType: r.event_type as string,
  body: r.body as string,
  attempts: r.attempts as number,
  status: r.status as WebhookDeliveryRecord["status"],
  nextAttemptAt: (r.next_attempt_at as string | null) ?? null,
  lastError: (r.last_error as string | null) ?? null,
  createdAt: r.created_at as string,
});

/**
 * {@link MetadataStore} in one SQLite file (WAL mode, synchronous=FULL so acknowledged writes
 * survive a crash; mode 0600). Webhook targets' signing secrets are sealed
 * (shared/secret-sealing.ts) with the key in `secrets.key` beside the file, so the database and
 * its WAL never hold one; those of a database from before are sealed, and wiped, on open.
 */
export class SqliteMetadataStore implements MetadataStore {
  private readonly db: Database.Database;
  private readonly sealer: SecretSealer;

  constructor(file: string) {
    privateDatabaseFile(file);
    this.sealer = SecretSealer.open(join(dirname(file), "secrets.key"));
    this.db = new Database(file);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = FULL");
    this.db.pragma("busy_timeout = 5000");
    // Freed pages are zeroed: an overwritten secret leaves nothing behind in the file.
    this.db.pragma("secure_delete = ON");
    this.db.exec(SCHEMA);
    this.sealOldSecrets();
  }

  /** Seals the webhook secrets a database from before sealing holds, then wipes their plaintext. */
  private sealOldSecrets(): void {
    const old = this.all("SELECT id, secret FROM webhook_targets").filter(
      (r) => !SecretSealer.isSealed(r.secret as string),
    );
    if (old.length === 0) return;
    this.transaction(() => {
      for (const r of old)
        this.run(
          "UPDATE webhook_targets SET secret = ? WHERE id = ?",
          this.sealer.seal(r.secret as string, r.id as string),
          r.id,
        );
    });
    this.db.pragma("wal_checkpoint(TRUNCATE)");
    this.db.exec("VACUUM");
    this.db.pragma("wal_checkpoint(TRUNCATE)");
  }

  private target(r: Row): WebhookTargetRecord {
    return toTarget(r, this.sealer.unseal(r.secret as string, r.id as string));
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  private get(sql: string, ...args: unknown[]): Row | undefined {
    return this.db.prepare(sql).get(...args) as Row | undefined;
  }
  private all(sql: string, ...args: unknown[]): Row[] {
    return this.db.prepare(sql).all(...args) as Row[];
  }
  private run(sql: string, ...args: unknown[]): Database.RunResult {
    return this.db.prepare(sql).run(...args);
  }

  orgBySlug(slug: string): OrgRecord | undefined {
    const r = this.get("SELECT * FROM orgs WHERE slug = ?", slug);
    return r && toOrg(r);
  }
  orgById(id: string): OrgRecord | undefined {
    const r = this.get("SELECT * FROM orgs WHERE id = ?", id);
    return r && toOrg(r);
  }
  insertOrg(o: OrgRecord): void {
    this.run(
      "INSERT INTO orgs (id, slug, name, created_at) VALUES (?, ?, ?, ?)",
      o.id,
      o.slug,
      o.name,
      o.createdAt,
    );
  }

  insertApiKey(k: ApiKeyRecord): void {
    this.run(
      "INSERT INTO api_keys (id, org_id, name, key_hash, scopes, repo_ids, tags, expires_at, revoked_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      k.id,
      k.orgId,
      k.name,
      k.keyHash,
      JSON.stringify(k.scopes),
      k.repoIds === null ? null : JSON.stringify(k.repoIds),
      JSON.stringify(k.tags),
      k.expiresAt,
      k.revokedAt,
      k.createdAt,
    );
  }
  apiKeyByHash(hash: string): ApiKeyRecord | undefined {
    const r = this.get("SELECT * FROM api_keys WHERE key_hash = ?", hash);
    return r && toKey(r);
  }
  apiKeyById(id: string): ApiKeyRecord | undefined {
    const r = this.get("SELECT * FROM api_keys WHERE id = ?", id);
    return r && toKey(r);
  }
  listApiKeys(orgId: string): ApiKeyRecord[] {
    return this.all("SELECT * FROM api_keys WHERE org_id = ? ORDER BY created_at, id", orgId).map(
      toKey,
    );
  }
  revokeApiKey(id: string, at: string): void {
    this.run("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", at, id);
  }

  updateApiKeyTags(id: string, tags: Record<string, string>): void {
    this.run("UPDATE api_keys SET tags = ? WHERE id = ?", JSON.stringify(tags), id);
  }

  insertRepo(r: Omit<RepoRecord, "seq">): RepoRecord {
    const res = this.run(
      "INSERT INTO repos (id, org_id, name, default_bookmark, tags, upstream, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
      r.id,
      r.orgId,
      r.name,
      r.defaultBookmark,
      JSON.stringify(r.tags),
      r.upstream && JSON.stringify(r.upstream),
      r.createdAt,
    );
    return { ...r, seq: Number(res.lastInsertRowid) };
  }
  repoByName(orgId: string, name: string): RepoRecord | undefined {
    const r = this.get("SELECT * FROM repos WHERE org_id = ? AND name = ?", orgId, name);
    return r && toRepo(r);
  }
  repoById(id: string): RepoRecord | undefined {
    const r = this.get("SELECT * FROM repos WHERE id = ?", id);
    return r && toRepo(r);
  }
  listRepos(orgId: string, afterSeq: number): RepoRecord[] {
    return this.all(
      "SELECT * FROM repos WHERE org_id = ? AND seq > ? ORDER BY seq",
      orgId,
      afterSeq,
    ).map(toRepo);
  }
  countRepos(orgId: string): number {
    return (this.get("SELECT COUNT(*) AS n FROM repos WHERE org_id = ?", orgId)?.n as number) ?? 0;
  }
  updateRepo(r: RepoRecord): void {
    this.run(
      "UPDATE repos SET name = ?, default_bookmark = ?, tags = ?, upstream = ? WHERE id = ?",
      r.name,
      r.defaultBookmark,
      JSON.stringify(r.tags),
      r.upstream && JSON.stringify(r.upstream),
      r.id,
    );
  }
  deleteRepo(id: string): void {
    this.transaction(() => {
      for (const table of ["change_commits", "changes", "syncs"])
        this.run(`DELETE FROM ${table} WHERE repo_id = ?`, id);
      this.run("DELETE FROM repos WHERE id = ?", id);
    });
  }

  recordChangeCommit(repoId: string, changeId: string, commitOid: string, at: string): void {
    this.transaction(() => {
      this.run(
        "INSERT OR REPLACE INTO change_commits (repo_id, commit_oid, change_id) VALUES (?, ?, ?)",
        repoId,
        commitOid,
        changeId,
      );
      this.run(
        `INSERT INTO changes (repo_id, change_id, commit_oid, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (repo_id, change_id) DO UPDATE SET commit_oid = excluded.commit_oid, updated_at = excluded.updated_at`,
        repoId,
        changeId,
        commitOid,
        at,
        at,
      );
    });
  }
  changeByCommit(repoId: string, commitOid: string): ChangeRecord | undefined {
    const r = this.get(
      "SELECT c.* FROM change_commits m JOIN changes c ON c.repo_id = m.repo_id AND c.change_id = m.change_id WHERE m.repo_id = ? AND m.commit_oid = ?",
      repoId,
      commitOid,
    );
    return r && toChange(r);
  }
  changeById(repoId: string, changeId: string): ChangeRecord | undefined {
    const r = this.get(
      "SELECT * FROM changes WHERE repo_id = ? AND change_id = ?",
      repoId,
      changeId,
    );
    return r && toChange(r);
  }

  insertSync(s: Omit<SyncRecord, "seq">): SyncRecord {
    const res = this.run(
      "INSERT INTO syncs (id, repo_id, direction, status, attempt, ref_globs, error, created_at, started_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      s.id,
      s.repoId,
      s.direction,
      s.status,
      s.attempt,
      JSON.stringify(s.refGlobs),
      s.error,
      s.createdAt,
      s.startedAt,
      s.finishedAt,
    );
    return { ...s, seq: Number(res.lastInsertRowid) };
  }
  updateSync(s: SyncRecord): void {
    this.run(
      "UPDATE syncs SET status = ?, attempt = ?, error = ?, started_at = ?, finished_at = ? WHERE id = ?",
      s.status,
      s.attempt,
      s.error,
      s.startedAt,
      s.finishedAt,
      s.id,
    );
  }
  syncById(repoId: string, id: string): SyncRecord | undefined {
    const r = this.get("SELECT * FROM syncs WHERE repo_id = ? AND id = ?", repoId, id);
    return r && toSync(r);
  }
  listSyncs(repoId: string, beforeSeq: number): SyncRecord[] {
    return this.all(
      "SELECT * FROM syncs WHERE repo_id = ? AND seq < ? ORDER BY seq DESC",
      repoId,
      beforeSeq,
    ).map(toSync);
  }
  latestSync(repoId: string): SyncRecord | undefined {
    const r = this.get("SELECT * FROM syncs WHERE repo_id = ? ORDER BY seq DESC LIMIT 1", repoId);
    return r && toSync(r);
  }

  insertWebhookTarget(t: Omit<WebhookTargetRecord, "seq">): WebhookTargetRecord {
    const res = this.run(
      "INSERT INTO webhook_targets (id, org_id, name, url, events, repo_ids, secret, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      t.id,
      t.orgId,
      t.name,
      t.url,
      JSON.stringify(t.events),
      t.repoIds === null ? null : JSON.stringify(t.repoIds),
      this.sealer.seal(t.secret, t.id),
      t.createdAt,
      t.updatedAt,
    );
    return { ...t, seq: Number(res.lastInsertRowid) };
  }
  webhookTargetById(id: string): WebhookTargetRecord | undefined {
    const r = this.get("SELECT * FROM webhook_targets WHERE id = ?", id);
    return r && this.target(r);
  }
  listWebhookTargets(orgId: string, afterSeq: number): WebhookTargetRecord[] {
    return this.all(
      "SELECT * FROM webhook_targets WHERE org_id = ? AND seq > ? ORDER BY seq",
      orgId,
      afterSeq,
    ).map((r) => this.target(r));
  }
  updateWebhookTarget(t: WebhookTargetRecord): void {
    this.run(
      "UPDATE webhook_targets SET name = ?, url = ?, events = ?, repo_ids = ?, updated_at = ? WHERE id = ?",
      t.name,
      t.url,
      JSON.stringify(t.events),
      t.repoIds === null ? null : JSON.stringify(t.repoIds),
      t.updatedAt,
      t.id,
    );
  }
  deleteWebhookTarget(id: string): void {
    this.transaction(() => {
      this.run("DELETE FROM webhook_deliveries WHERE target_id = ?", id);
      this.run("DELETE FROM webhook_targets WHERE id = ?", id);
    });
  }

  insertWebhookDelivery(d: WebhookDeliveryRecord): void {
    this.run(
      "INSERT INTO webhook_deliveries (id, target_id, event_type, body, attempts, status, next_attempt_at, last_error, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      d.id,
      d.targetId,
      d.eventType,
      d.body,
      d.attempts,
      d.status,
      d.nextAttemptAt,
      d.lastError,
      d.createdAt,
    );
  }
  webhookDeliveryById(id: string): WebhookDeliveryRecord | undefined {
    const r = this.get("SELECT * FROM webhook_deliveries WHERE id = ?", id);
    return r && toDelivery(r);
  }
  updateWebhookDelivery(d: WebhookDeliveryRecord): void {
    this.run(
      "UPDATE webhook_deliveries SET attempts = ?, status = ?, next_attempt_at = ?, last_error = ? WHERE id = ?",
      d.attempts,
      d.status,
      d.nextAttemptAt,
      d.lastError,
      d.id,
    );
  }
  pendingWebhookDeliveries(): WebhookDeliveryRecord[] {
    return this.all(
      "SELECT * FROM webhook_deliveries WHERE status = 'pending' ORDER BY created_at, id",
    ).map(toDelivery);
  }

  close(): void {
    this.db.close();
  }
}
