import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { publishDir, writeFileAtomic } from "../../../local/shared/atomic-write";

describe("atomic writes and staged directories", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "atomic-write-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("replaces a file whole with exactly the mode asked for, whatever the umask, leaving no temp file", () => {
    const file = join(dir, "key");
    writeFileSync(file, "old\n", { mode: 0o644 });
    const umask = process.umask(0);
    try {
      writeFileAtomic(file, "secret\n", { mode: 0o600 });
    } finally {
      process.umask(umask);
    }
    expect(readFileSync(file, "utf8")).toBe("secret\n");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    process.umask(0o077);
    try {
      writeFileAtomic(join(dir, "tool"), Buffer.from("#!/bin/sh\n"), { mode: 0o755, fsync: false });
    } finally {
      process.umask(umask);
    }
    expect(statSync(join(dir, "tool")).mode & 0o777, "the umask does not narrow it").toBe(0o755);
    expect(readdirSync(dir).sort()).toEqual(["key", "tool"]);
  });

  it("publishes a staged directory once: the first copy wins, a later one is removed", async () => {
    const target = join(dir, "layer");
    const stage = (name: string) => {
      const s = join(dir, `${name}.tmp`);
      mkdirSync(s);
      writeFileSync(join(s, "who"), name);
      return s;
    };
    const results = await Promise.all(["a", "b", "c"].map((n) => publishDir(stage(n), target)));
    expect(results.filter(Boolean), "exactly one publishes").toHaveLength(1);
    const winner = ["a", "b", "c"][results.indexOf(true)];
    expect(readFileSync(join(target, "who"), "utf8")).toBe(winner);
    expect(readdirSync(dir), "no staging dir left").toEqual(["layer"]);
    await expect(
      publishDir(stage("d"), join(dir, "missing-parent", "layer")),
      "any other failure is thrown, its staging removed",
    ).rejects.toThrow(/ENOENT/);
    expect(readdirSync(dir)).toEqual(["layer"]);
  });
});
