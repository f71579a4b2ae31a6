/**
 * What `pulumi import` of a MountedSandbox finds mounted: the in-sandbox inspection (run with
 * /bin/sh on the host, its in-sandbox paths moved to a temp dir) and the validation of what it
 * prints (hostile input).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MOUNT_POINT, RUNTIME_DIR } from "../../../provider/mounted-sandbox/mount-commands";
import {
  inspectCommand,
  MAX_REPOS,
  parseInspection,
} from "../../../provider/mounted-sandbox/mount-inspection";

/** `mesa stats --format json` as the CLI prints it, for the given repos. */
function stats(repos: object[], extra: object = {}): string {
  return JSON.stringify({ pid: 1, org: "acme", state: "ok", repos, ...extra });
}

describe("the inspection of a sandbox's mount", () => {
  let root: string;
  let bin: string;
  const local = (script: string) =>
    script.split(RUNTIME_DIR).join(join(root, "run")).split(MOUNT_POINT).join(join(root, "mnt"));
  const sh = (script: string) =>
    spawnSync("sh", ["-c", local(script)], {
      encoding: "utf8",
      env: { PATH: `${bin}:/usr/bin:/bin`, HOME: root },
    });

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), "psm-inspect-"));
    bin = join(root, "bin");
    mkdirSync(bin);
    mkdirSync(join(root, "run"));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("finds the running daemon's repos, bookmarks and read-only flags", () => {
    mkdirSync(join(root, "mnt", "acme", "work"), { recursive: true });
    mkdirSync(join(root, "mnt", "acme", "docs"), { recursive: true });
    const json = stats([
      { repo: "acme/work", rev: "bookmark:main", readOnly: false },
      { repo: "acme/docs", rev: "bookmark:release/1", readOnly: true },
    ]);
    writeFileSync(join(bin, "mesa"), `#!/bin/sh\nprintf '%s\\n' '${json}'\n`, { mode: 0o755 });
    const daemon = spawnSync("sh", ["-c", "sleep 30 >/dev/null 2>&1 & echo $!"], {
      encoding: "utf8",
    });
    const pid = daemon.stdout.trim();
    writeFileSync(join(root, "run", "mesa.pid"), `${pid}\n`);
    try {
      const result = sh(inspectCommand());
      expect(result.status, result.stderr).toBe(0);
      expect(parseInspection(result.stdout)).toEqual({
        serving: true,
        org: "acme",
        repos: [
          { org: "acme", repo: "work", bookmark: "main", readOnly: false },
          { org: "acme", repo: "docs", bookmark: "release/1", readOnly: true },
        ],
      });
    } finally {
      spawnSync("kill", ["-9", pid]);
    }
  });

  it("without a daemon, lists the directories and runs no mesa command", () => {
    mkdirSync(join(root, "mnt", "acme", "work"), { recursive: true });
    writeFileSync(join(bin, "mesa"), '#!/bin/sh\necho called > "$HOME/mesa-called"\n', {
      mode: 0o755,
    });
    const result = sh(inspectCommand());
    expect(result.status, result.stderr).toBe(0);
    expect(parseInspection(result.stdout)).toEqual({
      serving: false,
      org: "acme",
      repos: [{ org: "acme", repo: "work" }],
    });
    expect(spawnSync("test", ["-e", join(root, "mesa-called")]).status, "mesa not run").not.toBe(0);
  });

  it("reports a mount that failed closed as not serving", () => {
    mkdirSync(join(root, "mnt", "acme", "work"), { recursive: true });
    writeFileSync(join(root, "mnt", "MESA_MOUNT_FAILED"), "token expired\n");
    const daemon = spawnSync("sh", ["-c", "sleep 30 >/dev/null 2>&1 & echo $!"], {
      encoding: "utf8",
    });
    const pid = daemon.stdout.trim();
    writeFileSync(join(root, "run", "mesa.pid"), `${pid}\n`);
    try {
      expect(parseInspection(sh(inspectCommand()).stdout).serving).toBe(false);
    } finally {
      spawnSync("kill", ["-9", pid]);
    }
  });
});

describe("what the inspection printed, as hostile input", () => {
  const listing = (lines: string[], statsText?: string) =>
    [...lines, ...(statsText === undefined ? [] : ["--- mesa stats ---", statsText])].join("\n");

  it("drops names that are no org, repo or bookmark name", () => {
    const found = parseInspection(
      listing(
        ["daemon running", "dir acme/work", "dir acme/../etc", "dir acme/$(reboot)", "dir x"],
        stats([
          { repo: "acme/work", rev: "bookmark:../../main", readOnly: "yes" },
          { repo: "acme/../etc", rev: "bookmark:main", readOnly: false },
        ]),
      ),
    );
    expect(found).toEqual({ serving: true, org: "acme", repos: [{ org: "acme", repo: "work" }] });
  });

  it("believes only repos that have a directory, in the org of the mount", () => {
    const found = parseInspection(
      listing(
        ["daemon running", "dir acme/work", "dir other/work"],
        stats([
          { repo: "acme/work", rev: "bookmark:main", readOnly: false },
          { repo: "acme/ghost", rev: "bookmark:main", readOnly: false },
        ]),
      ),
    );
    expect(found.repos).toEqual([{ org: "acme", repo: "work", bookmark: "main", readOnly: false }]);
  });

  it("leaves a revision that is a change id unknown", () => {
    const found = parseInspection(
      listing(
        ["daemon running", "dir acme/work"],
        stats([{ repo: "acme/work", rev: "change-id:abc", readOnly: false }]),
      ),
    );
    expect(found.repos).toEqual([{ org: "acme", repo: "work", readOnly: false }]);
  });

  it("falls back to the directories when mesa stats prints no JSON", () => {
    const found = parseInspection(listing(["daemon running", "dir acme/work"], "not json {"));
    expect(found).toEqual({ serving: true, org: "acme", repos: [{ org: "acme", repo: "work" }] });
  });

  it("knows no org when directories of several orgs are left and mesa stats is silent", () => {
    expect(parseInspection(listing(["daemon stopped", "dir acme/a", "dir other/b"]))).toEqual({
      serving: false,
      repos: [],
    });
  });

  it("counts a mount mesa stats reports failed as not serving", () => {
    const found = parseInspection(
      listing(["daemon running", "dir acme/work"], stats([], { state: "failed" })),
    );
    expect(found.serving).toBe(false);
  });

  it(`takes at most ${MAX_REPOS} repos and reads a bounded output`, () => {
    const dirs = Array.from({ length: MAX_REPOS + 10 }, (_, i) => `dir acme/r${i}`);
    expect(parseInspection(listing(["daemon running", ...dirs])).repos).toHaveLength(MAX_REPOS);
    const flood = `daemon stopped\n${"x".repeat(200_000)}\ndir acme/late`;
    expect(parseInspection(flood).repos, "lines past the bound are not read").toEqual([]);
  });
});
