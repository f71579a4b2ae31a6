import Database from "better-sqlite3";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SqliteStore } from "../../../local/superserve/store/sqlite-store";
import { secretRecord } from "./secret-record";

/** Secrets' values in the local Superserve's store: sealed on disk, opened only with the data dir's key. */
describe("secrets at rest", () => {
  let dir: string;
  const file = () => join(dir, "superserve.sqlite");
  const secret = (name: string, value: string) => secretRecord({ name, value });
  /** The data dir's files that contain `value`'s bytes. */
  const holders = (value: string) =>
    readdirSync(dir).filter((f) => readFileSync(join(dir, f)).includes(Buffer.from(value)));

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "ss-secrets-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("writes no real value to the database or its WAL, and reads it back after a restart", () => {
    const value = "sk-test-9f8e7d6c5b4a3Z2Y1X0W";
    const store = new SqliteStore(file());
    store.putSecret(secret("api_key", value));
    store.putSecret(secret("api_key", `${value}-rotated`));
    expect(store.getSecret("api_key")?.value).toBe(`${value}-rotated`);
    expect(holders(value), "while open (the WAL holds the writes)").toEqual([]);
    store.close();
    expect(holders(value), "after close").toEqual([]);
    expect(statSync(join(dir, "secrets.key")).mode & 0o777).toBe(0o600);
    const again = new SqliteStore(file());
    try {
      expect(again.listSecrets().map((s) => s.value)).toEqual([`${value}-rotated`]);
    } finally {
      again.close();
    }
  });

  it("seals the values of a database from before sealing when it opens it, and wipes their plaintext", () => {
    const value = "ghp_OldPlaintextValue0123456789abcdef";
    const old = new Database(file());
    old.pragma("journal_mode = WAL");
    old.exec("CREATE TABLE secrets (name TEXT PRIMARY KEY, doc TEXT NOT NULL)");
    old
      .prepare("INSERT INTO secrets (name, doc) VALUES (?, ?)")
      .run("gh", JSON.stringify(secret("gh", value)));
    old.pragma("wal_checkpoint(TRUNCATE)");
    old.close();
    expect(holders(value), "the old database holds the plaintext").toEqual(["superserve.sqlite"]);
    const store = new SqliteStore(file());
    try {
      expect(store.getSecret("gh")?.value, "still the same secret").toBe(value);
      expect(holders(value), "sealed and wiped on open").toEqual([]);
    } finally {
      store.close();
    }
  });

  it("refuses, naming the fix, to open values with another data dir's key", () => {
    const store = new SqliteStore(file());
    store.putSecret(secret("k", "sk-test-abcdefghijklmnop"));
    store.close();
    writeFileSync(join(dir, "secrets.key"), `${Buffer.alloc(32, 7).toString("base64")}\n`);
    const other = new SqliteStore(file());
    try {
      expect(() => other.getSecret("k")).toThrow(
        /"k" does not open with .*secrets\.key: restore the key file this data dir was made with/,
      );
    } finally {
      other.close();
    }
  });
});
