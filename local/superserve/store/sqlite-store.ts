import Database from "better-sqlite3";
import { dirname, join } from "node:path";
import { privateDatabaseFile } from "../../shared/data-dir";
import { SecretSealer } from "../../shared/secret-sealing";
import type {
  BuildRecord,
  NetworkEventRecord,
  SandboxRecord,
  SecretRecord,
  TemplateRecord,
} from "./records";
import type { NetworkLogQuery, SecretAuditQuery, SuperserveStore } from "./store";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS templates (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS builds (id TEXT PRIMARY KEY, template_id TEXT NOT NULL, seq INTEGER NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS builds_by_template ON builds (template_id, seq);
CREATE TABLE IF NOT EXISTS sandboxes (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS secrets (name TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS network_events (id INTEGER PRIMARY KEY AUTOINCREMENT, sandbox_id TEXT NOT NULL, kind TEXT NOT NULL, ts TEXT NOT NULL, verdict TEXT, secret_id TEXT, status INTEGER, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS network_events_by_sandbox ON network_events (sandbox_id, ts, id);
CREATE INDEX IF NOT EXISTS network_events_by_secret ON network_events (secret_id, id);
`;

/** SQL of each audit status filter (on the `status` column). */
const STATUS_CLASSES: Record<NonNullable<SecretAuditQuery["status"]>, string> = {
  "2xx": "status BETWEEN 200 AND 299",
  "3xx": "status BETWEEN 300 AND 399",
  "4xx": "status BETWEEN 400 AND 499",
  "5xx": "status BETWEEN 500 AND 599",
  errors: "status >= 400",
};

type EventRow = { id: number; doc: string };
const eventOf = (r: EventRow): NetworkEventRecord => ({
  ...(JSON.parse(r.doc) as Omit<NetworkEventRecord, "id">),
  id: r.id,
});

type Row = { doc: string };
const parse = <T>(row: Row | undefined): T | undefined =>
  row ? (JSON.parse(row.doc) as T) : undefined;

/**
 * {@link SuperserveStore} in one SQLite file (WAL, mode 0600), one JSON document per row. Secrets'
 * values are sealed (shared/secret-sealing.ts) with the key in `secrets.key` beside the file: no real
 * value is ever written to the database or its WAL. Values of a database from before sealing are
 * sealed when it is opened, and the plaintext wiped from its pages and WAL.
 */
export class SqliteStore implements SuperserveStore {
  private readonly db: Database.Database;
  private readonly sealer: SecretSealer;

  constructor(file: string) {
    privateDatabaseFile(file);
    this.sealer = SecretSealer.open(join(dirname(file), "secrets.key"));
    this.db = new Database(file);
    this.db.pragma("journal_mode = WAL");
    // Freed pages are zeroed: an overwritten value leaves nothing behind in the file.
    this.db.pragma("secure_delete = ON");
    this.db.exec(SCHEMA);
    this.sealOldValues();
  }

  /** Seals the values a database from before sealing holds, then wipes their plaintext. */
  private sealOldValues(): void {
    const rows = this.db.prepare("SELECT doc FROM secrets").all() as Row[];
    const old = rows
      .map((r) => JSON.parse(r.doc) as SecretRecord)
      .filter((s) => !SecretSealer.isSealed(s.value));
    if (old.length === 0) return;
    this.transaction(() => {
      for (const s of old) this.putSecret(s);
    });
    this.db.pragma("wal_checkpoint(TRUNCATE)");
    this.db.exec("VACUUM");
    this.db.pragma("wal_checkpoint(TRUNCATE)");
  }

  private sealed(s: SecretRecord): string {
    return JSON.stringify({ ...s, value: this.sealer.seal(s.value, s.name) });
  }

  private opened(row: Row): SecretRecord {
    const s = JSON.parse(row.doc) as SecretRecord;
    return { ...s, value: this.sealer.unseal(s.value, s.name) };
  }

  getTemplate(idOrName: string): TemplateRecord | undefined {
    return parse(
      this.db
        .prepare("SELECT doc FROM templates WHERE id = ? OR name = ?")
        .get(idOrName, idOrName) as Row,
    );
  }
  listTemplates(namePrefix?: string): TemplateRecord[] {
    const rows = this.db.prepare("SELECT doc FROM templates ORDER BY rowid").all() as Row[];
    return rows
      .map((r) => JSON.parse(r.doc) as TemplateRecord)
      .filter((t) => !namePrefix || t.name.startsWith(namePrefix));
  }
  putTemplate(t: TemplateRecord): void {
    this.db
      .prepare(
        "INSERT INTO templates (id, name, doc) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET name = excluded.name, doc = excluded.doc",
      )
      .run(t.id, t.name, JSON.stringify(t));
  }
  deleteTemplate(id: string): void {
    this.db.prepare("DELETE FROM builds WHERE template_id = ?").run(id);
    this.db.prepare("DELETE FROM templates WHERE id = ?").run(id);
  }

  getBuild(id: string): BuildRecord | undefined {
    return parse(this.db.prepare("SELECT doc FROM builds WHERE id = ?").get(id) as Row);
  }
  listBuilds(templateId: string, limit?: number): BuildRecord[] {
    const rows = this.db
      .prepare("SELECT doc FROM builds WHERE template_id = ? ORDER BY seq DESC LIMIT ?")
      .all(templateId, limit ?? -1) as Row[];
    return rows.map((r) => JSON.parse(r.doc) as BuildRecord);
  }
  putBuild(b: BuildRecord): void {
    this.db
      .prepare(
        "INSERT INTO builds (id, template_id, seq, doc) VALUES (?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM builds), ?) ON CONFLICT(id) DO UPDATE SET doc = excluded.doc",
      )
      .run(b.id, b.template_id, JSON.stringify(b));
  }

  getSandbox(id: string): SandboxRecord | undefined {
    return parse(this.db.prepare("SELECT doc FROM sandboxes WHERE id = ?").get(id) as Row);
  }
  listSandboxes(): SandboxRecord[] {
    return (this.db.prepare("SELECT doc FROM sandboxes ORDER BY rowid").all() as Row[]).map(
      (r) => JSON.parse(r.doc) as SandboxRecord,
    );
  }
  putSandbox(s: SandboxRecord): void {
    this.db
      .prepare(
        "INSERT INTO sandboxes (id, doc) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET doc = excluded.doc",
      )
      .run(s.id, JSON.stringify(s));
  }
  deleteSandbox(id: string): void {
    this.db.prepare("DELETE FROM sandboxes WHERE id = ?").run(id);
  }

  getSecret(name: string): SecretRecord | undefined {
    const row = this.db.prepare("SELECT doc FROM secrets WHERE name = ?").get(name) as
      Row | undefined;
    return row && this.opened(row);
  }
  listSecrets(): SecretRecord[] {
    return (this.db.prepare("SELECT doc FROM secrets ORDER BY rowid").all() as Row[]).map((r) =>
      this.opened(r),
    );
  }
  putSecret(s: SecretRecord): void {
    this.db
      .prepare(
        "INSERT INTO secrets (name, doc) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET doc = excluded.doc",
      )
      .run(s.name, this.sealed(s));
  }
  deleteSecret(name: string): void {
    this.db.prepare("DELETE FROM secrets WHERE name = ?").run(name);
  }

  addNetworkEvent(e: Omit<NetworkEventRecord, "id">): number {
    const r = this.db
      .prepare(
        "INSERT INTO network_events (sandbox_id, kind, ts, verdict, secret_id, status, doc) VALUES (?, ?, ?, ?, ?, ?, ?)",
      )
      .run(
        e.sandbox_id,
        e.kind,
        e.ts,
        e.verdict ?? null,
        e.secret_id ?? null,
        e.status ?? null,
        JSON.stringify(e),
      );
    return Number(r.lastInsertRowid);
  }
  updateNetworkEvent(
    id: number,
    patch: Partial<Omit<NetworkEventRecord, "id" | "sandbox_id">>,
  ): void {
    this.transaction(() => {
      const row = this.db.prepare("SELECT id, doc FROM network_events WHERE id = ?").get(id) as
        EventRow | undefined;
      if (!row) return;
      const { id: _id, ...e } = { ...eventOf(row), ...patch };
      this.db
        .prepare(
          "UPDATE network_events SET verdict = ?, secret_id = ?, status = ?, doc = ? WHERE id = ?",
        )
        .run(e.verdict ?? null, e.secret_id ?? null, e.status ?? null, JSON.stringify(e), id);
    });
  }
  listNetworkEvents(sandboxId: string, q: NetworkLogQuery): NetworkEventRecord[] {
    const where = ["sandbox_id = @sandboxId"];
    if (q.before?.id !== undefined)
      where.push("(ts < @beforeTs OR (ts = @beforeTs AND id < @beforeId))");
    else if (q.before) where.push("ts < @beforeTs");
    if (q.since) where.push("ts >= @since");
    if (q.verdict) where.push("kind = 'connection' AND verdict = @verdict");
    const rows = this.db
      .prepare(
        `SELECT id, doc FROM network_events WHERE ${where.join(" AND ")} ORDER BY ts DESC, id DESC LIMIT @limit`,
      )
      .all({
        sandboxId,
        limit: q.limit,
        beforeTs: q.before?.ts ?? null,
        beforeId: q.before?.id ?? null,
        since: q.since ?? null,
        verdict: q.verdict ?? null,
      }) as EventRow[];
    return rows.map(eventOf);
  }
  listSecretAudit(secretId: string, q: SecretAuditQuery): NetworkEventRecord[] {
    const where = ["secret_id = @secretId", "kind = 'request'"];
    if (q.before !== undefined) where.push("id < @before");
    if (q.status) where.push(STATUS_CLASSES[q.status]);
    const rows = this.db
      .prepare(
        `SELECT id, doc FROM network_events WHERE ${where.join(" AND ")} ORDER BY id DESC LIMIT @limit`,
      )
      .all({ secretId, limit: q.limit, before: q.before ?? null }) as EventRow[];
    return rows.map(eventOf);
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }
  close(): void {
    this.db.close();
  }
}
