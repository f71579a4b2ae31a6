/**
 * The pure parts of `pulumi import` of a MountedSandbox and of the SandboxCommand refusal: the
 * in-sandbox inspection (run with /bin/sh on the host, its in-sandbox paths moved to a temp dir)
 * and the validation of what it prints (hostile input), the diff of an imported sandbox whose
 * mount runs on the user's token, and the message a SandboxCommand import fails with.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { silentLog } from "../../../provider/engine-log";
import type { ProviderEnvironment } from "../../../provider/lifecycle";
import { ALWAYS_UNREPORTED } from "../../../provider/mounted-sandbox/import";
import { MOUNT_POINT, RUNTIME_DIR } from "../../../provider/mounted-sandbox/mount-commands";
import {
  inspectCommand,
  MAX_REPOS,
  parseInspection,
} from "../../../provider/mounted-sandbox/mount-inspection";
import { createProvider as mountedSandbox } from "../../../provider/mounted-sandbox/provider";
import { createProvider as sandboxCommand } from "../../../provider/sandbox-command/provider";

const NOW = Date.parse("2025-06-01T10:00:00Z");
const URN = "urn:pulumi:dev::proj::superserve-mesa:index:MountedSandbox::box";

const environment: ProviderEnvironment = {
  env: { MESA_API_KEY: "mesa_unit", MESA_ORG: "acme", SUPERSERVE_API_KEY: "ss_unit" },
  cwd: "/nonexistent",
  clock: { now: () => NOW, sleep: async () => undefined, random: () => 0.5 },
  logSink: { send: () => silentLog.info("") },
  suffix: () => "abc1234",
};

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

describe("the diff of an imported sandbox", () => {
  const provider = mountedSandbox(undefined, environment);
  const program = {
    pulumiUrn: URN,
    name: "box",
    template: "agent-tpl",
    repos: [{ repo: "work", fork: false }],
  };
  /** The state `pulumi import` recorded: no token lifetime, no token expiry of ours. */
  const imported = {
    pulumiUrn: URN,
    name: "box",
    repos: [{ repo: "work", fork: false, readOnly: false }],
    sandboxId: "sb-1",
    status: "active",
    mounted: true,
    org: "acme",
    mountPaths: { work: "/home/user/.local/share/mesa/mnt/acme/work" },
    bookmarks: { work: "main" },
    tokenExpiresAt: "",
    unreported: ALWAYS_UNREPORTED,
  };
  const checked = async (news = program) =>
    (await provider.check(imported, news)).inputs as Record<string, unknown>;

  it("plans no change while the mount on the user's token serves", async () => {
    const news = await checked();
    expect(news.unreported).toContain("tokenTtlSeconds");
    expect(await provider.diff("sb-1", imported, news)).toMatchObject({
      changes: false,
      replaces: [],
    });
  });

  it("still plans no change on the runs after the first, once the defaults are recorded", async () => {
    const second = (await provider.check(await checked(), program)).inputs as Record<
      string,
      unknown
    >;
    expect(second.unreported).toEqual(ALWAYS_UNREPORTED);
    expect(await provider.diff("sb-1", imported, second)).toMatchObject({ changes: false });
  });

  it("plans a remount once a refresh found that mount dead", async () => {
    expect(
      await provider.diff("sb-1", { ...imported, mounted: false }, await checked()),
    ).toMatchObject({ changes: true, replaces: [] });
  });

  it("plans a remount with a token of its own when the program changes the token's lifetime", async () => {
    const first = await checked();
    const news = (await provider.check(first, { ...program, tokenTtlSeconds: 600 }))
      .inputs as Record<string, unknown>;
    expect(news.unreported).not.toContain("tokenTtlSeconds");
    expect(await provider.diff("sb-1", imported, news)).toMatchObject({ changes: true });
  });

  it("renews the provider's own token once a remount signed one", async () => {
    const ours = {
      ...imported,
      tokenTtlSeconds: 3600,
      tokenExpiresAt: new Date(NOW + 60_000).toISOString(),
    };
    expect(await provider.diff("sb-1", ours, await checked())).toMatchObject({ changes: true });
    const fresh = { ...ours, tokenExpiresAt: new Date(NOW + 3_000_000).toISOString() };
    expect(await provider.diff("sb-1", fresh, await checked())).toMatchObject({ changes: false });
  });
});

describe("a SandboxCommand import", () => {
  it("fails saying why and what to do instead, never suggesting adopt", async () => {
    const provider = sandboxCommand(undefined, environment);
    const attempt = provider.import("sb-1/agent", URN.replace("MountedSandbox", "SandboxCommand"));
    await expect(attempt).rejects.toThrow(/SandboxCommand cannot be imported.*Declare it/);
    await expect(attempt).rejects.not.toThrow(/adopt/);
  });
});
