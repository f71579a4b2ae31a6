/**
 * scripts/build-if-changed.mjs in a small project of its own, whose `npm run build` copies its
 * source into dist/ and counts its runs: a build runs exactly when a source's content changed
 * (whatever its mtime), when dist/ is gone, or after a failed build — never for changes to what is
 * not a build input.
 */
import { spawnSync } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { repoRoot } from "../../helpers/pulumi";

const script = join(repoRoot, "scripts", "build-if-changed.mjs");
const BUILD = `
const fs = require("node:fs");
if (process.env.FAIL_BUILD) process.exit(3);
fs.mkdirSync("dist", { recursive: true });
fs.writeFileSync("dist/out.txt", fs.readFileSync("src/a.ts"));
fs.appendFileSync("builds.log", "built\\n");
`;

describe("scripts/build-if-changed.mjs", () => {
  let dir: string;
  const builds = () =>
    readFileSync(join(dir, "builds.log"), "utf8").split("\n").filter(Boolean).length;
  const run = (env: Record<string, string> = {}) => {
    const r = spawnSync("node", [script], {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, ...env },
    });
    return { code: r.status, stderr: r.stderr };
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "psm-build-if-changed-"));
    mkdirSync(join(dir, "src"));
    writeFileSync(
      join(dir, "package.json"),
      JSON.stringify({ name: "fixture", private: true, scripts: { build: "node build.js" } }),
    );
    writeFileSync(join(dir, "build.js"), BUILD);
    writeFileSync(join(dir, "src", "a.ts"), "export const a = 1;\n");
    // builds.log is written by every build: a *.log file, so never a build input itself.
    writeFileSync(join(dir, "builds.log"), "");
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("builds once, then not again while nothing changed", () => {
    expect(run().code).toBe(0);
    expect(builds()).toBe(1);
    const second = run();
    expect(second.code).toBe(0);
    expect(second.stderr).toMatch(/up to date/);
    expect(builds(), "an unchanged project is not rebuilt").toBe(1);
  }, 60_000);

  it("rebuilds when a source's content changes, even with its old mtime", () => {
    run();
    const source = join(dir, "src", "a.ts");
    const { atime, mtime } = statSync(source);
    writeFileSync(source, "export const a = 2;\n");
    utimesSync(source, atime, mtime);
    expect(run().code).toBe(0);
    expect(builds()).toBe(2);
    expect(readFileSync(join(dir, "dist", "out.txt"), "utf8"), "dist/ holds the new source").toBe(
      "export const a = 2;\n",
    );
  }, 60_000);

  it("rebuilds when a file is added anywhere, but not for dependencies, outputs, state or data", () => {
    run();
    for (const ignored of [
      "node_modules/x/index.js",
      ".pulumi-state/stack.json",
      ".local-data/db.sqlite",
      "dist/extra.js",
      "src/.git/HEAD",
    ]) {
      mkdirSync(join(dir, ignored, ".."), { recursive: true });
      writeFileSync(join(dir, ignored), "x");
    }
    run();
    expect(builds(), "nothing that is a build input changed").toBe(1);
    writeFileSync(join(dir, "tsconfig.extra.json"), "{}");
    run();
    expect(builds(), "a new file may be a build input").toBe(2);
  }, 60_000);

  it("rebuilds when dist/ was removed", () => {
    run();
    rmSync(join(dir, "dist"), { recursive: true });
    run();
    expect(builds()).toBe(2);
  }, 60_000);

  it("fails with the build, and a failed build leaves no record of its sources", () => {
    run();
    writeFileSync(join(dir, "src", "a.ts"), "export const a = 3;\n");
    const failed = run({ FAIL_BUILD: "1" });
    expect(failed.code).not.toBe(0);
    expect(failed.stderr).toMatch(/npm run build failed/);
    expect(run().code).toBe(0);
    expect(builds(), "the same sources are built again after the failed build").toBe(2);
    expect(readFileSync(join(dir, "dist", "out.txt"), "utf8")).toBe("export const a = 3;\n");
  }, 60_000);
});
