import Database from "better-sqlite3";
import type { BuildRecord, SandboxRecord, SecretRecord, TemplateRecord } from "./records";
import type { SuperserveStore } from "./store";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS templates (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS builds (id TEXT PRIMARY KEY, template_id TEXT NOT NULL, seq INTEGER NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS builds_by_template ON builds (template_id, seq);
CREATE TABLE IF NOT EXISTS sandboxes (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS secrets (name TEXT PRIMARY KEY, doc TEXT NOT NULL);
`;

type Row = { doc: string };
const parse = <T>(row: Row | undefined): T | undefined =>
  row ? (JSON.parse(row.doc) as T) : undefined;

/** {@link SuperserveStore} in one SQLite file (WAL), one JSON document per row. */
export class SqliteStore implements SuperserveStore {
  private readonly db: Database.Database;

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma("journal_mode = WAL");
    this.db.exec(SCHEMA);
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
    return parse(this.db.prepare("SELECT doc FROM secrets WHERE name = ?").get(name) as Row);
  }
  listSecrets(): SecretRecord[] {
    return (this.db.prepare("SELECT doc FROM secrets ORDER BY rowid").all() as Row[]).map(
      (r) => JSON.parse(r.doc) as SecretRecord,
    );
  }
  putSecret(s: SecretRecord): void {
    this.db
      .prepare(
        "INSERT INTO secrets (name, doc) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET doc = excluded.doc",
      )
      .run(s.name, JSON.stringify(s));
  }
  deleteSecret(name: string): void {
    this.db.prepare("DELETE FROM secrets WHERE name = ?").run(name);
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }
  close(): void {
    this.db.close();
  }
}
