/**
 * The seed flow end to end: local Mesa + local Superserve (with the bundled `mesa` in its
 * sandbox tools), `mesa mount -d` run inside a sandbox through `sandbox.commands.run`, and every
 * edit observed through the unmodified `@mesadev/sdk`.
 */
import type { Mesa } from "@mesadev/sdk" with { "resolution-mode": "import" };
import { Sandbox, Template } from "@superserve/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalMesa } from "../../../local/mesa";
import { startLocalBackends, type LocalBackends } from "../../helpers/local-backends";
import {
  commitOnBookmark,
  remoteText as remoteTextOf,
  seedRepo as seedRepoIn,
} from "../../helpers/mesa-repos";
import { eventually, uniqueName } from "./harness";

const MNT = "/home/user/.local/share/mesa/mnt";
const PID_FILE = "/home/user/.local/state/mesa/run/mesa.pid";
const seedRepo = (files: Record<string, string>) => seedRepoIn(mesa, uniqueName("sbx"), files);
const remoteText = (repo: string, path: string, bookmark = "main") =>
  remoteTextOf(mesa, repo, path, bookmark);

let backends: LocalBackends;
let mesaServer: LocalMesa;
let mesa: Mesa;
let conn: { apiKey: string; baseUrl: string };
let template: string;
const sandboxes: Sandbox[] = [];

/** Take the running backends' handles (new ones after a restart). */
function useRunningBackends(): void {
  ({ mesa: mesaServer, mesaClient: mesa } = backends);
  conn = backends.conn();
}

beforeAll(async () => {
  backends = await startLocalBackends({ mesaCli: true });
  useRunningBackends();
  const tpl = await Template.create({
    ...conn,
    name: uniqueName("mesa-tpl"),
    from: "debian:12",
    steps: [{ run: "true" }],
  });
  await tpl.waitUntilReady({ pollIntervalMs: 50 });
  template = tpl.name;
});

afterAll(async () => {
  for (const sb of sandboxes) await sb.kill().catch(() => undefined);
  await backends?.close();
});

/** The contract: an edit is visible through the content API within 2 s. */
const EDIT_VISIBLE_MS = 2000;
/** A move of the bookmark by someone else reaches the mount within a poll (2 s); allows for a loaded machine. */
const REMOTE_MOVE_SEEN_MS = 10_000;

async function visible(
  repo: string,
  path: string,
  expected: string | undefined,
  bookmark = "main",
): Promise<void> {
  await eventually(
    `${path} to read ${JSON.stringify(expected)} on ${bookmark}`,
    async () => (await remoteText(repo, path, bookmark)) === expected,
    EDIT_VISIBLE_MS,
  );
}

async function token(repo: string, scopes = ["read", "write"], ttl = 900): Promise<string> {
  return (
    await mesa.tokens.create({ scopes, repos: [`${mesaServer.org}/${repo}`], ttl_seconds: ttl })
  ).token;
}

async function newSandbox(): Promise<Sandbox> {
  const sb = await Sandbox.create({ ...conn, name: uniqueName("mesa-sb"), fromTemplate: template });
  sandboxes.push(sb);
  return sb;
}

/**
 * `mesa mount -d` inside the sandbox with only the org and the token, as on the service (the CLI's
 * default API host reaches the local Mesa through the egress layer); the token travels in the
 * exec env, never in argv.
 */
async function mountIn(sb: Sandbox, tk: string, env: Record<string, string> = {}) {
  return sb.commands.run("mesa mount -d -y", {
    env: { MESA_ORG: mesaServer.org, MESA_API_KEY: tk, ...env },
    timeoutMs: 60_000,
  });
}

describe("mesa mount -d inside a local Superserve sandbox", () => {
  it("mounts the repo and persists writes, modifications, deletes and renames made through commands.run", async () => {
    const repo = await seedRepo({
      "README.md": "hello\n",
      "old.txt": "old\n",
      "gone.txt": "bye\n",
    });
    const sb = await newSandbox();
    const tk = await token(repo);
    const mounted = await mountIn(sb, tk);
    expect(mounted.exitCode, `mount should succeed: ${mounted.stderr}`).toBe(0);
    const dir = `${MNT}/${mesaServer.org}/${repo}`;
    expect((await sb.commands.run(`cat ${dir}/README.md`)).stdout).toBe("hello\n");
    expect((await sb.commands.run("which mesa")).stdout.trim()).toBe(
      "/opt/superserve-local/bin/mesa",
    );

    expect((await sb.commands.run(`echo created > ${dir}/new.txt`)).exitCode).toBe(0);
    await visible(repo, "new.txt", "created\n");
    await sb.commands.run(`echo modified >> ${dir}/README.md`);
    await visible(repo, "README.md", "hello\nmodified\n");
    await sb.commands.run(`rm ${dir}/gone.txt`);
    await visible(repo, "gone.txt", undefined);
    await sb.commands.run(`mkdir -p ${dir}/sub && mv ${dir}/old.txt ${dir}/sub/renamed.txt`);
    await visible(repo, "sub/renamed.txt", "old\n");
    await visible(repo, "old.txt", undefined);
    await sb.commands.run(
      `printf '#!/bin/sh\\necho ok\\n' > ${dir}/run.sh && chmod +x ${dir}/run.sh`,
    );
    await eventually(
      "run.sh executable in Mesa",
      async () => {
        const tip = await mesa.bookmarks.get({ repo, bookmark: "main" });
        const got = (await mesa.content
          .get({ repo, path: "run.sh", change_id: tip.change_id })
          .catch(() => undefined)) as { mode?: string } | undefined;
        return got?.mode === "100755";
      },
      EDIT_VISIBLE_MS,
    );

    const changes = await mesa.changes.list({ repo, bookmark: "main" });
    expect(changes.changes.length, "edits arrive as changes on the bookmark").toBeGreaterThan(1);
    const stats = await sb.commands.run(`mesa stats --pid-file ${PID_FILE}`);
    expect(stats.exitCode, stats.stderr).toBe(0);
    expect(stats.stdout).toContain("state:        ok");
    const ps = await sb.commands.run("cat /proc/*/cmdline 2>/dev/null | tr '\\0' ' '");
    expect(ps.stdout, "the daemon runs").toContain("mount");
    expect(ps.stdout, "the token never appears in a process listing").not.toContain(tk);
  });

  it("refuses writes with a read-only token and persists nothing", async () => {
    const repo = await seedRepo({ "ro.txt": "read only\n" });
    const before = await mesa.bookmarks.get({ repo, bookmark: "main" });
    const sb = await newSandbox();
    const mounted = await mountIn(sb, await token(repo, ["read"]));
    expect(mounted.exitCode, mounted.stderr).toBe(0);
    const dir = `${MNT}/${mesaServer.org}/${repo}`;
    expect((await sb.commands.run(`cat ${dir}/ro.txt`)).stdout).toBe("read only\n");
    const write = await sb.commands.run(`echo x > ${dir}/ro.txt`);
    expect(write.exitCode, "writing a read-only mount fails").not.toBe(0);
    expect(write.stderr).toMatch(/Read-only file system|Operation not permitted|Permission denied/);
    expect((await sb.commands.run(`touch ${dir}/new.txt`)).exitCode).not.toBe(0);
    expect((await sb.commands.run(`rm ${dir}/ro.txt`)).exitCode).not.toBe(0);
    expect((await sb.commands.run(`cat ${dir}/ro.txt`)).stdout).toBe("read only\n");
    const stats = JSON.parse(
      (await sb.commands.run(`mesa stats --pid-file ${PID_FILE} --format json`)).stdout,
    );
    expect(
      stats.repos[0].lockedBy,
      "sandboxes lack CAP_SYS_ADMIN, so the immutable attribute enforces read-only",
    ).toBe("immutable");
    expect(
      (await mesa.bookmarks.get({ repo, bookmark: "main" })).change_id,
      "nothing persisted",
    ).toBe(before.change_id);
  });

  it("fails closed when the token expires and says so", async () => {
    const repo = await seedRepo({ "a.txt": "a\n" });
    const sb = await newSandbox();
    const mounted = await mountIn(sb, await token(repo, ["read", "write"], 3));
    expect(mounted.exitCode, mounted.stderr).toBe(0);
    await eventually(
      "the failure marker inside the sandbox",
      async () => (await sb.commands.run(`cat ${MNT}/MESA_MOUNT_FAILED`)).exitCode === 0,
      8000,
    );
    expect((await sb.commands.run(`cat ${MNT}/MESA_MOUNT_FAILED`)).stdout).toMatch(/expired/);
    const stats = await sb.commands.run(`mesa stats --pid-file ${PID_FILE}`);
    expect(stats.exitCode, "stats is non-zero once failed").toBe(3);
    expect(
      (await sb.commands.run(`echo late > ${MNT}/${mesaServer.org}/${repo}/late.txt`)).exitCode,
    ).not.toBe(0);
    expect(await remoteText(repo, "late.txt")).toBeUndefined();
  });

  it("keeps two sandboxes on two forked bookmarks of one repo isolated", async () => {
    const repo = await seedRepo({ "shared.txt": "base\n" });
    const tip = await mesa.bookmarks.get({ repo, bookmark: "main" });
    await mesa.bookmarks.create({ repo, name: "agent-a", change_id: tip.change_id });
    await mesa.bookmarks.create({ repo, name: "agent-b", change_id: tip.change_id });
    const tk = await token(repo);
    const [a, b] = await Promise.all([newSandbox(), newSandbox()]);
    const revs = (bookmark: string) => ({
      MESA_REPO_REVS: `${mesaServer.org}/${repo}=bookmark:${bookmark}`,
    });
    expect((await mountIn(a, tk, revs("agent-a"))).exitCode).toBe(0);
    expect((await mountIn(b, tk, revs("agent-b"))).exitCode).toBe(0);
    const dir = `${MNT}/${mesaServer.org}/${repo}`;
    await a.commands.run(`echo from-a > ${dir}/shared.txt`);
    await b.commands.run(`echo only-b > ${dir}/b.txt`);
    await visible(repo, "shared.txt", "from-a\n", "agent-a");
    await visible(repo, "b.txt", "only-b\n", "agent-b");
    // Someone else then moves each bookmark: a sandbox that has brought that in has polled its own bookmark after both edits were written.
    await commitOnBookmark(mesa, repo, "agent-a", { "later-a.txt": "a\n" });
    await commitOnBookmark(mesa, repo, "agent-b", { "later-b.txt": "b\n" });
    await eventually(
      "each sandbox to bring in the later change on its bookmark",
      async () =>
        (await a.commands.run(`test -e ${dir}/later-a.txt`)).exitCode === 0 &&
        (await b.commands.run(`test -e ${dir}/later-b.txt`)).exitCode === 0,
      REMOTE_MOVE_SEEN_MS,
    );
    expect(await remoteText(repo, "shared.txt", "agent-b")).toBe("base\n");
    expect(await remoteText(repo, "b.txt", "agent-a")).toBeUndefined();
    expect((await b.commands.run(`cat ${dir}/shared.txt`)).stdout).toBe("base\n");
    expect((await a.commands.run(`test -e ${dir}/b.txt`)).exitCode).not.toBe(0);
  });

  it("flushes pending edits when the sandbox is killed through the API", async () => {
    const repo = await seedRepo({ "f.txt": "1\n" });
    const sb = await newSandbox();
    const mounted = await mountIn(sb, await token(repo), {
      MESA_LOCAL_DEBOUNCE_MS: "600000",
      MESA_LOCAL_POLL_MS: "600000",
    });
    expect(mounted.exitCode, mounted.stderr).toBe(0);
    await sb.commands.run(`echo last-words > ${MNT}/${mesaServer.org}/${repo}/unsaved.txt`);
    expect(
      await remoteText(repo, "unsaved.txt"),
      "not written before the kill (debounce is 10 min)",
    ).toBeUndefined();
    await sb.kill();
    expect(await remoteText(repo, "unsaved.txt")).toBe("last-words\n");
  });

  it("keeps the data across a restart of both backends", async () => {
    const repo = await seedRepo({ "keep.txt": "v1\n" });
    const sb = await newSandbox();
    expect((await mountIn(sb, await token(repo))).exitCode).toBe(0);
    const dir = `${MNT}/${mesaServer.org}/${repo}`;
    await sb.commands.run(`echo v2 > ${dir}/keep.txt`);
    await visible(repo, "keep.txt", "v2\n");
    await backends.restart({ mesa: true });
    useRunningBackends();
    expect(await remoteText(repo, "keep.txt")).toBe("v2\n");
    const again = await Sandbox.connect(sb.id, conn);
    sandboxes.push(again);
    const remounted = await mountIn(again, await token(repo));
    expect(remounted.exitCode, remounted.stderr).toBe(0);
    expect((await again.commands.run(`cat ${dir}/keep.txt`)).stdout).toBe("v2\n");
    await again.commands.run(`echo v3 > ${dir}/keep.txt`);
    await visible(repo, "keep.txt", "v3\n");
  });
});
