/**
 * The bundled `mesa` command run directly on the host against local Mesa (no sandbox): the sync
 * engine's semantics, observed through the unmodified `@mesadev/sdk`. The full sandbox flow is in
 * sandbox.test.ts.
 */
import type { Mesa } from "@mesadev/sdk" with { "resolution-mode": "import" };
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalMesa } from "../../../local/mesa";
import {
  commitOnBookmark,
  remoteFile as remoteFileOf,
  seedRepo as seedRepoIn,
} from "../../helpers/mesa-repos";
import { bundledMesa, eventually, runNode, uniqueName, type RunResult } from "./harness";

type LocalMesa = Awaited<ReturnType<typeof startLocalMesa>>;

let cli: Awaited<ReturnType<typeof bundledMesa>>;
let server: LocalMesa;
let mesa: Mesa;
let dataDir: string;
const homes: string[] = [];
const daemons: { pidFile: string }[] = [];

beforeAll(async () => {
  cli = await bundledMesa();
  dataDir = fs.mkdtempSync(join(tmpdir(), "mesa-cli-data-"));
  server = await startLocalMesa({ dataDir, port: 0 });
  mesa = await mesaClient(server);
});

afterAll(async () => {
  for (const { pidFile } of daemons) {
    const pid = stopDaemon(pidFile);
    if (pid !== undefined) await waitForExit(pid).catch(() => undefined);
  }
  await server?.stop();
  cli?.remove();
  for (const home of homes) fs.rmSync(home, { recursive: true, force: true });
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function mesaClient(local: LocalMesa): Promise<Mesa> {
  const sdk = await import("@mesadev/sdk");
  return new sdk.Mesa({ apiKey: local.apiKey, apiUrl: local.url, org: local.org });
}

/** The contract: an edit is visible through the content API within 2 s (checked in the main flow). */
const EDIT_VISIBLE_MS = 2000;
/** Elsewhere the tests check behaviour, not latency, and allow for a loaded machine. */
const SETTLE_MS = 5000;

const seedRepo = (files: Record<string, string | Buffer>) =>
  seedRepoIn(mesa, uniqueName("mnt"), files);
const remoteFile = (repo: string, path: string, bookmark = "main") =>
  remoteFileOf(mesa, repo, path, bookmark);

/** A fresh HOME for one daemon, removed after the suite. */
function tempHome(): string {
  const home = fs.mkdtempSync(join(tmpdir(), "mesa-cli-home-"));
  homes.push(home);
  return home;
}

interface Mount {
  home: string;
  root: string;
  env: NodeJS.ProcessEnv;
  pidFile: string;
  result: RunResult;
}

async function mount(
  repo: string,
  token: string,
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<Mount> {
  const home = tempHome();
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    MESA_ORG: server.org,
    MESA_API_KEY: token,
    MESA_API_URL: server.url,
    MESA_RUNTIME_DIR: join(home, "run"),
    ...extraEnv,
  };
  const pidFile = join(home, "run", "mesa.pid");
  daemons.push({ pidFile });
  const result = await runNode(cli.bin, ["mount", "-d", "-y"], env);
  const mountPoint = env.MESA_MOUNT_POINT ?? join(home, ".local/share/mesa/mnt");
  return { home, root: join(mountPoint, server.org, repo), env, pidFile, result };
}

function stopDaemon(pidFile: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(pidFile, "utf8"));
    process.kill(pid, "SIGTERM");
    return pid;
  } catch {
    return undefined;
  }
}

async function waitForExit(pid: number): Promise<void> {
  await eventually(
    `daemon ${pid} to exit`,
    async () => {
      try {
        process.kill(pid, 0);
        return undefined;
      } catch {
        return true;
      }
    },
    10_000,
  );
}

async function token(repo: string, scopes = ["read", "write"], ttl = 600): Promise<string> {
  return (await mesa.tokens.create({ scopes, repos: [`${server.org}/${repo}`], ttl_seconds: ttl }))
    .token;
}

describe("mesa mount -d against local Mesa", () => {
  it("checks out the token's repo before returning and persists every kind of edit within 2 s", async () => {
    const repo = await seedRepo({
      "README.md": "hello\n",
      "src/old.txt": "old\n",
      "dir/a.txt": "a\n",
      "gone.txt": "bye\n",
    });
    const other = await seedRepo({ "x.txt": "x" });
    const m = await mount(repo, await token(repo));
    expect(m.result.code, `mount should succeed; stderr: ${m.result.stderr}`).toBe(0);
    expect(fs.existsSync(m.pidFile), "PID file written once ready").toBe(true);
    expect(fs.readFileSync(join(m.root, "README.md"), "utf8")).toBe("hello\n");
    expect(
      fs.existsSync(join(m.root, "..", other)),
      "a repo outside the token's scope is not mounted",
    ).toBe(false);

    fs.writeFileSync(join(m.root, "new.txt"), "created\n");
    fs.writeFileSync(join(m.root, "README.md"), "hello, edited\n");
    fs.rmSync(join(m.root, "gone.txt"));
    fs.renameSync(join(m.root, "src/old.txt"), join(m.root, "src/renamed.txt"));
    fs.renameSync(join(m.root, "dir"), join(m.root, "moved-dir"));
    const binary = Buffer.from([0, 1, 2, 253, 254, 255, 0, 10]);
    fs.writeFileSync(join(m.root, "blob.bin"), binary);
    fs.writeFileSync(join(m.root, "run.sh"), "#!/bin/sh\necho hi\n", { mode: 0o755 });
    fs.mkdirSync(join(m.root, "deep/er"), { recursive: true });
    fs.writeFileSync(join(m.root, "deep/er/f.txt"), "deep\n");

    await eventually(
      "all edits visible through content.get",
      async () => {
        const [created, edited, gone, oldPath, renamed, movedDir, oldDir, blob, exec, deep] =
          await Promise.all([
            remoteFile(repo, "new.txt"),
            remoteFile(repo, "README.md"),
            remoteFile(repo, "gone.txt"),
            remoteFile(repo, "src/old.txt"),
            remoteFile(repo, "src/renamed.txt"),
            remoteFile(repo, "moved-dir/a.txt"),
            remoteFile(repo, "dir/a.txt"),
            remoteFile(repo, "blob.bin"),
            remoteFile(repo, "run.sh"),
            remoteFile(repo, "deep/er/f.txt"),
          ]);
        const ok =
          created?.text === "created\n" &&
          edited?.text === "hello, edited\n" &&
          gone === undefined &&
          oldPath === undefined &&
          renamed?.text === "old\n" &&
          movedDir?.text === "a\n" &&
          oldDir === undefined &&
          blob?.bytes.equals(binary) &&
          exec?.mode === "100755" &&
          deep?.text === "deep\n";
        return ok;
      },
      EDIT_VISIBLE_MS,
    );

    const changes = await mesa.changes.list({ repo, bookmark: "main" });
    expect(changes.changes.length, "the mount wrote at least one change on main").toBeGreaterThan(
      1,
    );

    fs.chmodSync(join(m.root, "run.sh"), 0o644);
    await eventually(
      "exec bit removal persisted",
      async () => (await remoteFile(repo, "run.sh"))?.mode === "100644",
      EDIT_VISIBLE_MS,
    );

    const stats = await runNode(cli.bin, ["stats", "--pid-file", m.pidFile], m.env);
    expect(stats.code, stats.stderr).toBe(0);
    expect(stats.stdout).toContain(`${server.org}/${repo} @ bookmark:main`);
    const json = JSON.parse(
      (await runNode(cli.bin, ["stats", "--pid-file", m.pidFile, "--format", "json"], m.env))
        .stdout,
    );
    expect(json.repos[0].changesWritten).toBeGreaterThan(0);
  });

  it("checks out every file byte for byte, including binaries, odd line endings and deep trees", async () => {
    const deep = `${Array.from({ length: 12 }, (_, i) => `l${i}`).join("/")}/deep.txt`;
    const files: Record<string, string | Buffer> = {
      "no-newline.txt": "last line without newline",
      "crlf.txt": "a\r\nb\r\n",
      "empty.txt": "",
      "unicode.txt": "héllo ✓ 世界\n",
      "blank-lines.txt": "\n\n\nx\n\n",
      "binary.bin": Buffer.from([0, 159, 146, 150, 255, 0, 10, 13]),
      "latin1.txt": Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]),
      [deep]: "deep\n",
    };
    for (let i = 0; i < 10; i++) files[`many/f${i}.txt`] = `file ${i}\n`;
    const repo = await seedRepo(files);
    const m = await mount(repo, await token(repo));
    expect(m.result.code, m.result.stderr).toBe(0);
    for (const [path, content] of Object.entries(files)) {
      expect(
        fs.readFileSync(join(m.root, path)).equals(Buffer.from(content)),
        `${path} checked out byte for byte`,
      ).toBe(true);
    }
  });

  it("persists symlinks as mode 120000 entries", async () => {
    const repo = await seedRepo({ "target.txt": "t" });
    const m = await mount(repo, await token(repo));
    expect(m.result.code, m.result.stderr).toBe(0);
    fs.symlinkSync("target.txt", join(m.root, "link"));
    const link = await eventually(
      "symlink visible",
      () => remoteFile(repo, "link"),
      SETTLE_MS,
    ).catch(async (error: Error) => {
      const stats = JSON.parse(
        (await runNode(cli.bin, ["stats", "--pid-file", m.pidFile, "--format", "json"], m.env))
          .stdout,
      );
      throw new Error(
        `${error.message}; the mount's last error: ${stats.repos[0].lastError} (local Mesa must accept mode 120000 in changes.create)`,
      );
    });
    expect(link.type).toBe("symlink");
    expect(link.text).toBe("target.txt");
  });

  it("refuses writes with a read-only token and persists nothing", async () => {
    const repo = await seedRepo({ "ro.txt": "read me\n" });
    const before = await mesa.bookmarks.get({ repo, bookmark: "main" });
    const m = await mount(repo, await token(repo, ["read"]));
    expect(m.result.code, m.result.stderr).toBe(0);
    expect(fs.readFileSync(join(m.root, "ro.txt"), "utf8")).toBe("read me\n");
    expect(() => fs.writeFileSync(join(m.root, "ro.txt"), "changed")).toThrow(/EROFS|EPERM|EACCES/);
    expect(() => fs.writeFileSync(join(m.root, "new.txt"), "x")).toThrow(/EROFS|EPERM|EACCES/);
    expect(() => fs.rmSync(join(m.root, "ro.txt"))).toThrow(/EROFS|EPERM|EACCES/);
    // SIGTERM makes the daemon flush whatever it would write; once it has exited, nothing more can reach Mesa.
    const pid = stopDaemon(m.pidFile);
    expect(pid, "the daemon runs").toBeDefined();
    await waitForExit(pid!);
    expect(
      (await mesa.bookmarks.get({ repo, bookmark: "main" })).change_id,
      "bookmark unchanged",
    ).toBe(before.change_id);
  });

  it("fails closed when the access token expires and says so", async () => {
    const repo = await seedRepo({ "a.txt": "a" });
    const m = await mount(repo, await token(repo, ["read", "write"], 3));
    expect(m.result.code, m.result.stderr).toBe(0);
    const marker = join(m.home, ".local/share/mesa/mnt/MESA_MOUNT_FAILED");
    await eventually("the failure marker", async () => fs.existsSync(marker), 6000);
    expect(fs.readFileSync(marker, "utf8")).toMatch(/expired/);
    expect(() => fs.writeFileSync(join(m.root, "late.txt"), "x")).toThrow(/EROFS|EPERM|EACCES/);
    const stats = await runNode(cli.bin, ["stats", "--pid-file", m.pidFile], m.env);
    expect(stats.code, "stats exits non-zero on a failed mount").toBe(3);
    expect(stats.stdout).toMatch(/state: +failed/);
    expect(await remoteFile(repo, "late.txt")).toBeUndefined();
  });

  it("keeps two mounts on two bookmarks of one repo isolated", async () => {
    const repo = await seedRepo({ "shared.txt": "base\n" });
    const tip = await mesa.bookmarks.get({ repo, bookmark: "main" });
    await mesa.bookmarks.create({ repo, name: "agent-1", change_id: tip.change_id });
    await mesa.bookmarks.create({ repo, name: "agent-2", change_id: tip.change_id });
    const tk = await token(repo);
    const one = await mount(repo, tk, { MESA_REPO_REVS: `${server.org}/${repo}=bookmark:agent-1` });
    const two = await mount(repo, tk, { MESA_REPO_REVS: `${server.org}/${repo}=bookmark:agent-2` });
    expect(one.result.code, one.result.stderr).toBe(0);
    expect(two.result.code, two.result.stderr).toBe(0);
    fs.writeFileSync(join(one.root, "shared.txt"), "one\n");
    fs.writeFileSync(join(two.root, "only-two.txt"), "two\n");
    await eventually(
      "agent-1 edit",
      async () => (await remoteFile(repo, "shared.txt", "agent-1"))?.text === "one\n",
      SETTLE_MS,
    );
    await eventually(
      "agent-2 edit",
      async () => (await remoteFile(repo, "only-two.txt", "agent-2"))?.text === "two\n",
      SETTLE_MS,
    );
    // Someone else then moves each bookmark: a mount that has brought that in has polled its own bookmark after both edits were written.
    await commitOnBookmark(mesa, repo, "agent-1", { "later-1.txt": "1\n" });
    await commitOnBookmark(mesa, repo, "agent-2", { "later-2.txt": "2\n" });
    await eventually(
      "each mount to bring in the later change on its bookmark",
      () =>
        fs.existsSync(join(one.root, "later-1.txt")) &&
        fs.existsSync(join(two.root, "later-2.txt")),
      SETTLE_MS,
    );
    expect((await remoteFile(repo, "shared.txt", "agent-2"))?.text).toBe("base\n");
    expect(await remoteFile(repo, "only-two.txt", "agent-1")).toBeUndefined();
    expect((await remoteFile(repo, "shared.txt", "main"))?.text).toBe("base\n");
    expect(fs.readFileSync(join(two.root, "shared.txt"), "utf8")).toBe("base\n");
    expect(fs.existsSync(join(one.root, "only-two.txt"))).toBe(false);
  });

  it("flushes pending edits on SIGTERM and re-applies them over a bookmark someone else moved", async () => {
    const repo = await seedRepo({ "f.txt": "1\n", "both.txt": "base\n" });
    const m = await mount(repo, await token(repo), {
      MESA_LOCAL_DEBOUNCE_MS: "600000",
      MESA_LOCAL_POLL_MS: "600000",
    });
    expect(m.result.code, m.result.stderr).toBe(0);
    fs.writeFileSync(join(m.root, "local.txt"), "mine\n");
    fs.writeFileSync(join(m.root, "both.txt"), "local wins\n");
    await commitOnBookmark(mesa, repo, "main", {
      "theirs.txt": "theirs\n",
      "both.txt": "remote\n",
    });
    expect(
      await remoteFile(repo, "local.txt"),
      "no flush before SIGTERM (debounce is 10 min)",
    ).toBeUndefined();
    const pid = stopDaemon(m.pidFile);
    expect(pid).toBeDefined();
    await waitForExit(pid!);
    expect((await remoteFile(repo, "local.txt"))?.text).toBe("mine\n");
    expect((await remoteFile(repo, "theirs.txt"))?.text, "the other writer's edit is kept").toBe(
      "theirs\n",
    );
    expect((await remoteFile(repo, "both.txt"))?.text, "the local edit is re-applied on top").toBe(
      "local wins\n",
    );
    expect(fs.readFileSync(join(m.root, "theirs.txt"), "utf8")).toBe("theirs\n");
    expect(fs.existsSync(m.pidFile), "PID file removed on exit").toBe(false);
  });

  it("keeps retrying through 5xx answers and dropped connections until the edit is written", async () => {
    const repo = await seedRepo({ "r.txt": "1\n" });
    const m = await mount(repo, await token(repo));
    expect(m.result.code, m.result.stderr).toBe(0);
    const faults = `${new URL(server.url).origin}/_local/faults`;
    const arm = async (spec: object) => {
      const response = await fetch(faults, {
        method: "POST",
        headers: { authorization: `Bearer ${server.apiKey}`, "content-type": "application/json" },
        body: JSON.stringify(spec),
      });
      expect(response.status, "fault armed").toBe(201);
    };
    await arm({ method: "POST", path: "/changes$", count: 7, status: 503 });
    await arm({ method: "PATCH", path: "/bookmarks/", count: 1, drop: true });
    fs.writeFileSync(join(m.root, "r.txt"), "2\n");
    await eventually(
      "the edit written despite the faults",
      async () => (await remoteFile(repo, "r.txt"))?.text === "2\n",
      15_000,
    );
    const log = fs.readFileSync(join(m.home, "run", "daemon.log"), "utf8");
    expect(log, "the daemon logged the failed attempt and retried").toMatch(
      /sync error \(will retry\)/,
    );
  });

  it("writes the edits a hard-killed daemon left behind when mounted again", async () => {
    const repo = await seedRepo({ "k.txt": "before\n", "untouched.txt": "u\n" });
    const tk = await token(repo);
    const m = await mount(repo, tk, {
      MESA_LOCAL_DEBOUNCE_MS: "600000",
      MESA_LOCAL_POLL_MS: "600000",
    });
    expect(m.result.code, m.result.stderr).toBe(0);
    fs.writeFileSync(join(m.root, "k.txt"), "after\n");
    fs.rmSync(join(m.root, "untouched.txt"));
    const pid = Number(fs.readFileSync(m.pidFile, "utf8"));
    process.kill(pid, "SIGKILL");
    await waitForExit(pid);
    expect((await remoteFile(repo, "k.txt"))?.text, "nothing written before the kill").toBe(
      "before\n",
    );
    const again = await runNode(cli.bin, ["mount", "-d"], {
      ...m.env,
      MESA_LOCAL_DEBOUNCE_MS: "150",
      MESA_LOCAL_POLL_MS: "2000",
    });
    expect(again.code, again.stderr).toBe(0);
    await eventually(
      "the left-over edits written",
      async () =>
        (await remoteFile(repo, "k.txt"))?.text === "after\n" &&
        (await remoteFile(repo, "untouched.txt")) === undefined,
      SETTLE_MS,
    );
    expect(fs.readFileSync(join(m.root, "k.txt"), "utf8")).toBe("after\n");
  });

  it("keeps the data across a restart of Mesa and of the daemon", async () => {
    const repo = await seedRepo({ "keep.txt": "v1\n" });
    const m = await mount(repo, await token(repo));
    expect(m.result.code, m.result.stderr).toBe(0);
    fs.writeFileSync(join(m.root, "keep.txt"), "v2\n");
    await eventually(
      "v2 persisted",
      async () => (await remoteFile(repo, "keep.txt"))?.text === "v2\n",
      SETTLE_MS,
    );
    const pid = stopDaemon(m.pidFile)!;
    await waitForExit(pid);
    await server.stop();
    server = await startLocalMesa({ dataDir, port: 0 });
    mesa = await mesaClient(server);
    expect((await remoteFile(repo, "keep.txt"))?.text).toBe("v2\n");
    const again = await runNode(cli.bin, ["mount", "-d"], {
      ...m.env,
      MESA_API_URL: server.url,
      MESA_API_KEY: await token(repo),
    });
    expect(again.code, again.stderr).toBe(0);
    expect(fs.readFileSync(join(m.root, "keep.txt"), "utf8")).toBe("v2\n");
    fs.writeFileSync(join(m.root, "keep.txt"), "v3\n");
    await eventually(
      "v3 persisted after restart",
      async () => (await remoteFile(repo, "keep.txt"))?.text === "v3\n",
      SETTLE_MS,
    );
  });

  it("mounts a change id and amends that change in place", async () => {
    const repo = await seedRepo({ "c.txt": "c1\n" });
    const tip = await mesa.bookmarks.get({ repo, bookmark: "main" });
    const before = await mesa.changes.get({ repo, change_id: tip.change_id });
    const m = await mount(repo, await token(repo), {
      MESA_REPO_REVS: `${server.org}/${repo}=change-id:${tip.change_id}`,
    });
    expect(m.result.code, m.result.stderr).toBe(0);
    expect(fs.readFileSync(join(m.root, "c.txt"), "utf8")).toBe("c1\n");
    fs.writeFileSync(join(m.root, "c.txt"), "c2\n");
    await eventually(
      "the change amended with the edit",
      async () => {
        const change = await mesa.changes.get({ repo, change_id: tip.change_id });
        if (change.current_commit_oid === before.current_commit_oid) return undefined;
        const got = (await mesa.content.get({ repo, path: "c.txt", change_id: tip.change_id })) as {
          content: string;
        };
        return Buffer.from(got.content, "base64").toString() === "c2\n";
      },
      SETTLE_MS,
    );
  });

  it("runs in the foreground, prints when ready and flushes on Ctrl+C (SIGINT)", async () => {
    const repo = await seedRepo({ "fg.txt": "fg\n" });
    const home = tempHome();
    const env = {
      PATH: process.env.PATH,
      HOME: home,
      MESA_ORG: server.org,
      MESA_API_KEY: await token(repo),
      MESA_API_URL: server.url,
      MESA_LOCAL_DEBOUNCE_MS: "600000",
    };
    const child = spawn(process.execPath, [cli.bin, "mount"], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    await eventually(
      "the foreground mount to report ready",
      async () => stdout.includes("mesa: mounted 1 repo(s)"),
      10_000,
    );
    const root = join(home, ".local/share/mesa/mnt", server.org, repo);
    fs.writeFileSync(join(root, "fg.txt"), "edited in foreground\n");
    child.kill("SIGINT");
    expect(await exited, "exit code after a clean flush").toBe(0);
    expect((await remoteFile(repo, "fg.txt"))?.text).toBe("edited in foreground\n");
  });

  it("fails like the real CLI on unknown flags and bad configuration", async () => {
    const bad = await runNode(cli.bin, ["mount", "--x"], { PATH: process.env.PATH });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error: unexpected argument '--x' found/);
    const noOrg = await runNode(cli.bin, ["mount", "-d"], {
      PATH: process.env.PATH,
      HOME: tmpdir(),
    });
    expect(noOrg.code).toBe(1);
    expect(noOrg.stderr).toContain("MESA_ORG is not set");
    const badKey = await runNode(cli.bin, ["mount"], {
      PATH: process.env.PATH,
      HOME: tempHome(),
      MESA_ORG: server.org,
      MESA_API_KEY: "mesa_not_a_key",
      MESA_API_URL: server.url,
    });
    expect(badKey.code).toBe(1);
    expect(badKey.stderr).toMatch(/refused to list the repos/);
    expect(badKey.stderr).not.toContain("mesa_not_a_key");
    const repo = await seedRepo({ "a.txt": "a" });
    const badRev = await runNode(cli.bin, ["mount"], {
      PATH: process.env.PATH,
      HOME: tempHome(),
      MESA_ORG: server.org,
      MESA_API_KEY: await token(repo),
      MESA_API_URL: server.url,
      MESA_REPO_REVS: `${server.org}/${repo}=bookmark:no-such-bookmark`,
    });
    expect(badRev.code).toBe(1);
    expect(badRev.stderr).toMatch(
      /cannot check out .* at bookmark:no-such-bookmark .*check MESA_REPO_REVS/,
    );
  });
});
