/**
 * The MountedSandbox provider against local Mesa and local Superserve (sandboxes with the bundled
 * `mesa` CLI on their PATH), observed through the unmodified SDKs: files written in the mount
 * reach Mesa, read-only repos refuse writes, refresh sees paused/killed sandboxes and dead mounts
 * without resuming anything, update renews the token and remounts, delete flushes before the kill
 * and keeps the fork, and an interrupted create is adopted; under injected faults every call of
 * create, refresh, update and delete is retried; a restart of the local backends that ended the
 * sandboxes' processes is seen by refresh (without resuming) and repaired by update. `import`
 * (what `pulumi import` calls through the plugin) finds the read-only mount of the vendors' guide
 * (a repo-scoped token signed with the Mesa SDK, `mesa mount -d` with `MESA_ORG` and
 * `MESA_API_KEY` only) with its bookmark; what a hostile sandbox fakes (a daemon, directories, a
 * `mesa stats` naming a repo Mesa does not have) is believed only for the repo Mesa knows; a
 * sandbox with nothing mounted leaves `repos` to the program.
 */
import type { Mesa } from "@mesadev/sdk" with { "resolution-mode": "import" };
import { Sandbox, Template } from "@superserve/sdk";
import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { LocalMesa } from "../../../local/mesa";
import type { FaultSpec } from "../../../local/shared/faults";
import type { LogSink } from "../../../provider/engine-log";
import type { ProviderMethods } from "../../../provider/lifecycle";
import { systemClock } from "../../../provider/retry";
import { MOUNT_POINT, PID_FILE } from "../../../provider/mounted-sandbox/mount-commands";
import { specDigest } from "../../../provider/mounted-sandbox/sandboxes";
import type { MountedSandboxInputs } from "../../../provider/mounted-sandbox/state";
import { createProvider } from "../../../provider/mounted-sandbox/provider";
import { eventually as eventuallyWithin } from "../../helpers/eventually";
import { startLocalBackends, type LocalBackends } from "../../helpers/local-backends";
import { commitOnBookmark, remoteText, seedRepo as seedRepoIn } from "../../helpers/mesa-repos";
import { uniqueName as unique } from "../../helpers/names";

const eventually = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000) =>
  eventuallyWithin(what, probe, timeoutMs);

let backends: LocalBackends;
let mesaServer: LocalMesa;
let mesa: Mesa;
let template: string;
const logs: string[] = [];
const sink: LogSink = { send: (_s, m) => void logs.push(m) };
const created: string[] = [];

const conn = () => backends.conn();
const urnFor = (name: string) =>
  `urn:pulumi:it::proj::pulumi-nodejs:dynamic/superserve-mesa:MountedSandbox::${name}`;

beforeAll(async () => {
  backends = await startLocalBackends({ mesaCli: true, superserve: { killGraceMs: 10_000 } });
  ({ mesa: mesaServer, mesaClient: mesa } = backends);
  const t = await Template.create({
    ...conn(),
    name: unique("tpl"),
    from: "debian:12",
    steps: [{ run: "echo ready > /etc/agent.txt" }],
  });
  await t.waitUntilReady({ pollIntervalMs: 100 });
  template = t.name;
}, 300_000);

afterAll(async () => {
  for (const id of created) await Sandbox.killById(id, conn()).catch(() => undefined);
  await backends?.close();
}, 120_000);

function providerFor(): ProviderMethods {
  return createProvider(undefined, {
    env: backends.env(),
    cwd: "/nonexistent",
    clock: systemClock,
    logSink: sink,
    suffix: () => randomUUID().slice(0, 7),
  });
}

async function createSandbox(
  provider: ProviderMethods,
  logical: string,
  extra: Record<string, unknown>,
) {
  const checked = await provider.check({}, { pulumiUrn: urnFor(logical), template, ...extra });
  expect(checked.failures).toEqual([]);
  const inputs = checked.inputs as Record<string, unknown>;
  const result = await provider.create(inputs);
  created.push(result.id);
  return { inputs, id: result.id, outs: result.outs as Record<string, any> };
}

async function run(id: string, cmd: string) {
  const sandbox = await Sandbox.connect(id, conn());
  return sandbox.commands.run(cmd, { timeoutMs: 30_000 });
}

async function status(id: string): Promise<string | undefined> {
  return (await Sandbox.list(conn())).find((s) => s.id === id)?.status;
}

describe("MountedSandbox provider against the local backends", () => {
  it("mounts the repo on a fork; a file written in the mount reaches Mesa; delete flushes, kills and keeps the fork", async () => {
    const repo = await seedRepoIn(mesa, unique("ws"), { "README.md": "hello agents\n" });
    const provider = providerFor();
    const logical = unique("agent");
    const { id, outs } = await createSandbox(provider, logical, { repos: [{ repo }] });
    const path = `/home/user/.local/share/mesa/mnt/${mesaServer.org}/${repo}`;
    expect(outs).toMatchObject({
      status: "active",
      mounted: true,
      org: mesaServer.org,
      mountPaths: { [repo]: path },
      bookmarks: { [repo]: `agents/${logical}` },
    });
    expect(
      Date.parse(outs.tokenExpiresAt) - Date.now(),
      "a token of the default 1 h lifetime",
    ).toBeGreaterThan(3500_000);
    expect(JSON.stringify(outs), "no token in the outputs").not.toMatch(/eyJ/);

    const readme = await run(id, `cat ${path}/README.md`);
    expect(readme.stdout).toBe("hello agents\n");
    const env = await run(id, "env; cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\\0' ' '");
    expect(env.stdout, "the token is neither in the sandbox's env nor in any argv").not.toMatch(
      /eyJ|MESA_API_KEY/,
    );

    await run(id, `echo "from the agent" > ${path}/notes.txt`);
    expect(
      await eventually("notes.txt on the fork", () =>
        remoteText(mesa, repo, "notes.txt", `agents/${logical}`),
      ),
    ).toBe("from the agent\n");
    expect(
      await remoteText(mesa, repo, "notes.txt", "main"),
      "the base bookmark is untouched",
    ).toBeUndefined();

    await run(id, `echo "last words" > ${path}/last.txt`);
    await provider.delete(id, outs);
    expect(await status(id), "the sandbox is gone").toBeUndefined();
    expect(
      await remoteText(mesa, repo, "last.txt", `agents/${logical}`),
      "delete flushed the mount before the kill",
    ).toBe("last words\n");
    await expect(
      mesa.bookmarks.get({ repo, bookmark: `agents/${logical}` }),
      "the fork is kept",
    ).resolves.toMatchObject({ name: `agents/${logical}` });
    await provider.delete(id, outs);
  });

  it("mounts a read-only repo with a read-only token: writes fail", async () => {
    const repo = await seedRepoIn(mesa, unique("ws"), { "docs.md": "read me\n" });
    const provider = providerFor();
    const { id, outs } = await createSandbox(provider, unique("reader"), {
      repos: [{ repo, readOnly: true }],
    });
    expect(outs.bookmarks).toEqual({ [repo]: "main" });
    const path = outs.mountPaths[repo];
    expect((await run(id, `cat ${path}/docs.md`)).stdout).toBe("read me\n");
    // Every user of a local sandbox but its root (mesa-cli README, "Read-only and expiry").
    const write = await run(
      id,
      `setpriv --reuid=65534 --regid=65534 --clear-groups sh -c 'echo x > ${path}/new.txt'`,
    );
    expect(write.exitCode, "writing into a read-only mount fails").not.toBe(0);
    // Delete flushes the mount before the kill (first test): after it nothing more can reach Mesa.
    await provider.delete(id, outs);
    expect(await remoteText(mesa, repo, "new.txt", "main")).toBeUndefined();
  });

  it("refresh: a stopped mount is drift that update repairs, with a renewed token; paused stays paused; killed is gone", async () => {
    const repo = await seedRepoIn(mesa, unique("ws"), { "a.txt": "a\n" });
    const provider = providerFor();
    const { id, inputs, outs } = await createSandbox(provider, unique("drift"), {
      repos: [{ repo }],
      tokenTtlSeconds: 600,
    });

    const healthy = (await provider.read(id, outs)).props as Record<string, any>;
    expect(healthy).toMatchObject({ status: "active", mounted: true });

    await run(id, 'kill -TERM "$(cat /home/user/.local/state/mesa/run/mesa.pid)"');
    const dead = await eventually("the dead mount seen by refresh", async () => {
      const props = (await provider.read(id, outs)).props as Record<string, any>;
      return props.mounted === false ? props : undefined;
    });
    const diff = await provider.diff(id, dead, inputs);
    expect(diff, "up repairs a dead mount in place").toMatchObject({ changes: true, replaces: [] });
    const nearlyExpired = { ...dead, tokenExpiresAt: new Date(Date.now() + 30_000).toISOString() };
    const repaired = (await provider.update(id, nearlyExpired, inputs)).outs as Record<string, any>;
    expect(repaired.mounted).toBe(true);
    expect(Date.parse(repaired.tokenExpiresAt) - Date.now(), "a fresh 600 s token").toBeGreaterThan(
      500_000,
    );
    expect((await run(id, `cat ${outs.mountPaths[repo]}/a.txt`)).stdout).toBe("a\n");

    const sandbox = await Sandbox.connect(id, conn());
    await sandbox.pause();
    const paused = (await provider.read(id, repaired)).props as Record<string, any>;
    expect(paused.status, "refresh reports the pause").toBe("paused");
    expect(paused.mounted, "a mount that cannot be checked is not reported as mounted").toBe(false);
    expect(await status(id), "refresh did not resume the sandbox").toBe("paused");
    expect(await provider.diff(id, paused, inputs), "up plans to check the mount").toMatchObject({
      changes: true,
      replaces: [],
    });
    const resumed = (await provider.update(id, paused, inputs)).outs as Record<string, any>;
    expect(
      resumed,
      "update resumed the sandbox and found the mount (kept by the pause) serving",
    ).toMatchObject({ status: "active", mounted: true, tokenExpiresAt: repaired.tokenExpiresAt });
    expect(await status(id)).toBe("active");

    await Sandbox.killById(id, conn());
    expect((await provider.read(id, paused)).id ?? "", "a killed sandbox is gone").toBe("");
    await provider.delete(id, paused);
  });

  it("workspace: what the agent did is read from Mesa on create, update and refresh — from its fork's base, even after the base moves on — and plans no change", async () => {
    const repo = await seedRepoIn(mesa, unique("ws"), { "a.txt": "a\n" });
    const base = (await mesa.bookmarks.get({ repo, bookmark: "main" })).change_id;
    const provider = providerFor();
    const logical = unique("work");
    const fork = `agents/${logical}`;
    const { id, inputs, outs } = await createSandbox(provider, logical, { repos: [{ repo }] });
    expect(outs.workspace, "a fresh fork: nothing done yet").toEqual({
      [repo]: {
        bookmark: fork,
        baseBookmark: "main",
        baseChangeId: base,
        headChangeId: base,
        changes: 0,
        filesChanged: 0,
      },
    });

    await run(id, `echo "by the agent" > ${outs.mountPaths[repo]}/agent.txt`);
    await eventually("agent.txt on the fork", () => remoteText(mesa, repo, "agent.txt", fork));
    const afterMountWrite = (await provider.read(id, outs)).props as Record<string, any>;
    const mountChanges = afterMountWrite.workspace[repo].changes as number;
    expect(mountChanges, "the mount's write is at least one change").toBeGreaterThanOrEqual(1);
    expect(afterMountWrite.workspace[repo]).toMatchObject({ baseChangeId: base, filesChanged: 1 });

    await commitOnBookmark(mesa, repo, fork, { "b.txt": "b\n" });
    await commitOnBookmark(mesa, repo, fork, { "a.txt": "a, edited\n" });
    await commitOnBookmark(mesa, repo, "main", { "c.txt": "on main after the fork\n" });
    const head = (await mesa.bookmarks.get({ repo, bookmark: fork })).change_id;
    const refreshed = (await provider.read(id, afterMountWrite)).props as Record<string, any>;
    const expected = {
      bookmark: fork,
      baseBookmark: "main",
      baseChangeId: base,
      headChangeId: head,
      changes: mountChanges + 2,
      filesChanged: 3,
    };
    expect(
      refreshed.workspace[repo],
      "two more changes and files; main's new change is not the agent's",
    ).toEqual(expected);
    expect(
      await provider.diff(id, refreshed, inputs),
      "an agent's progress is not drift",
    ).toMatchObject({ changes: false, replaces: [] });

    const metadata = { ...inputs, metadata: { step: "update" } };
    const updated = (await provider.update(id, refreshed, metadata)).outs as Record<string, any>;
    expect(updated.workspace[repo], "update reads it again, from the recorded base").toEqual(
      expected,
    );

    await (await Sandbox.connect(id, conn())).pause();
    const paused = (await provider.read(id, updated)).props as Record<string, any>;
    expect(paused.workspace[repo], "a paused sandbox's workspace is read from Mesa").toEqual(
      expected,
    );
    expect(await status(id), "reading it did not resume the sandbox").toBe("paused");

    const successor = await createSandbox(provider, unique("next"), {
      repos: [{ repo, fork }],
    });
    expect(
      successor.outs.workspace[repo],
      "a sandbox continuing an existing fork finds where it forked from main",
    ).toEqual(expected);
    await provider.delete(successor.id, successor.outs);
    await provider.delete(id, paused);
  });

  it("adopts the sandbox of an interrupted create instead of creating a second one", async () => {
    const repo = await seedRepoIn(mesa, unique("ws"), { "b.txt": "b\n" });
    const provider = providerFor();
    const logical = unique("retry");
    const checked = (
      await provider.check({}, { pulumiUrn: urnFor(logical), template, repos: [{ repo }] })
    ).inputs as MountedSandboxInputs;
    const predecessor = await Sandbox.create({
      ...conn(),
      name: `${logical}-old`,
      fromTemplate: template,
      metadata: { "pulumi-urn": urnFor(logical), "pulumi-spec": "other-inputs" },
    });
    const orphan = await Sandbox.create({
      ...conn(),
      name: checked.name,
      fromTemplate: template,
      metadata: { "pulumi-urn": urnFor(logical), "pulumi-spec": specDigest(checked) },
    });
    created.push(predecessor.id, orphan.id);
    const result = await provider.create(checked);
    const { id, outs } = { id: result.id, outs: result.outs as Record<string, any> };
    expect(id, "the earlier sandbox was adopted").toBe(orphan.id);
    expect(outs.mounted).toBe(true);
    const tagged = (
      await Sandbox.list({ ...conn(), metadata: { "pulumi-urn": urnFor(logical) } })
    ).filter((s) => s.status !== "failed");
    expect(
      tagged.map((s) => s.id).sort(),
      "no third sandbox; the predecessor of a replacement is not adopted",
    ).toEqual([predecessor.id, orphan.id].sort());
    await provider.delete(id, outs);
  });

  it("records a sandbox whose Mesa preparation failed as a partial create that update repairs and delete removes", async () => {
    const provider = providerFor();
    const logical = unique("partial");
    const repo = unique("later");
    const checked = (
      await provider.check(
        {},
        { pulumiUrn: urnFor(logical), template, repos: [{ repo, org: mesaServer.org }] },
      )
    ).inputs as MountedSandboxInputs;
    const error = await provider.create(checked).then(
      () => undefined,
      (err: unknown) =>
        err as { name?: string; id?: string; properties?: Record<string, any>; message: string },
    );
    expect(error?.name, "a missing repo fails the create after the sandbox exists").toBe(
      "PartialCreateError",
    );
    expect(error?.message).toMatch(/was created but not mounted/);
    const id = error!.id!;
    created.push(id);
    expect(await status(id), "the engine records the sandbox instead of leaking it").toBe("active");
    expect(error?.properties?.mounted).toBe(false);

    await seedRepoIn(mesa, repo, { "late.txt": "here now\n" });
    const repaired = (await provider.update(id, error!.properties!, checked)).outs as Record<
      string,
      any
    >;
    expect(repaired.mounted, "update mounts once the repo exists").toBe(true);
    expect((await run(id, `cat ${repaired.mountPaths[repo]}/late.txt`)).stdout).toBe("here now\n");
    await provider.delete(id, repaired);
    expect(await status(id), "delete removes the recorded sandbox").toBeUndefined();
  });

  it("deleteWorkspaceOnDestroy deletes the fork", async () => {
    const repo = await seedRepoIn(mesa, unique("ws"), { "c.txt": "c\n" });
    const provider = providerFor();
    const logical = unique("scratch");
    const { id, outs } = await createSandbox(provider, logical, {
      repos: [{ repo }],
      deleteWorkspaceOnDestroy: true,
    });
    await provider.delete(id, outs);
    await expect(mesa.bookmarks.get({ repo, bookmark: `agents/${logical}` })).rejects.toMatchObject(
      { status: 404 },
    );
  });
});

/** Arm a fault on one of the backends (see local/shared/faults.ts). */
async function inject(backend: "mesa" | "superserve", spec: FaultSpec): Promise<void> {
  const [origin, key] =
    backend === "mesa"
      ? [mesaServer.origin, mesaServer.apiKey]
      : [backends.superserve.url, backends.superserve.apiKey];
  const res = await fetch(`${origin}/_local/faults`, {
    method: "POST",
    headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
    body: JSON.stringify(spec),
  });
  expect(res.status, `fault ${JSON.stringify(spec)} armed on ${backend}`).toBe(201);
}

/** Remove the armed faults of both backends; returns how many were left unused (0: every one was hit). */
async function clearFaults(): Promise<number> {
  let left = 0;
  for (const [origin, key] of [
    [mesaServer.origin, mesaServer.apiKey],
    [backends.superserve.url, backends.superserve.apiKey],
  ]) {
    const res = await fetch(`${origin}/_local/faults`, {
      method: "DELETE",
      headers: { Authorization: `Bearer ${key}` },
    });
    left += ((await res.json()) as { cleared: number }).cleared;
  }
  return left;
}

/** The operations the provider retried (from its progress lines) since `from`. */
function retried(from: number): string[] {
  return [
    ...new Set(
      logs
        .slice(from)
        .map((l) => /^(.+): transient failure/.exec(l)?.[1])
        .filter((op): op is string => op !== undefined),
    ),
  ];
}

describe("MountedSandbox provider under injected faults", () => {
  afterEach(async () => void (await clearFaults()));

  it("create retries every call: list, create, the token's whoami, the repo, bookmark and content reads, the fork and the mount exec", async () => {
    const repo = await seedRepoIn(mesa, unique("ws"), { "f.txt": "faulty\n" });
    const provider = providerFor();
    const logical = unique("faults");
    const checked = (
      await provider.check(
        {},
        { pulumiUrn: urnFor(logical), template, repos: [{ repo, org: mesaServer.org }] },
      )
    ).inputs as MountedSandboxInputs;
    await inject("superserve", { method: "GET", path: "^/sandboxes$", status: 503, count: 4 });
    await inject("superserve", {
      method: "POST",
      path: "^/sandboxes$",
      status: 429,
      retryAfterSeconds: 1,
      count: 1,
    });
    await inject("superserve", { method: "POST", path: "^/sandboxes$", drop: true, count: 1 });
    await inject("superserve", { method: "POST", path: "^/exec$", status: 500, count: 1 });
    await inject("superserve", { method: "POST", path: "^/exec$", drop: true, count: 1 });
    await inject("mesa", { method: "GET", path: "/whoami$", status: 503, count: 1 });
    await inject("mesa", { method: "GET", path: `/${repo}$`, status: 500, count: 1 });
    await inject("mesa", {
      method: "GET",
      path: `/${repo}/bookmarks/main$`,
      status: 429,
      retryAfterSeconds: 0,
      count: 1,
    });
    await inject("mesa", { method: "POST", path: `/${repo}/bookmarks$`, drop: true, count: 1 });
    await inject("mesa", { method: "GET", path: `/${repo}/content$`, status: 503, count: 1 });
    const from = logs.length;
    const result = await provider.create(checked);
    created.push(result.id);
    const outs = result.outs as Record<string, any>;
    expect(await clearFaults(), "every injected fault was hit").toBe(0);
    expect(outs.mounted).toBe(true);
    expect(retried(from).sort()).toEqual(
      [
        "list sandboxes",
        `create sandbox ${checked.name}`,
        "install the mesa CLI and mount the repos",
        "sign the mount's Mesa access token",
        `read Mesa repo ${mesaServer.org}/${repo}`,
        `read bookmark main of ${mesaServer.org}/${repo}`,
        `fork bookmark agents/${logical} of ${mesaServer.org}/${repo}`,
        `list ${mesaServer.org}/${repo}`,
      ].sort(),
    );
    const tagged = (
      await Sandbox.list({ ...conn(), metadata: { "pulumi-urn": urnFor(logical) } })
    ).filter((s) => s.status !== "failed");
    expect(
      tagged.map((s) => s.id),
      "exactly one sandbox despite the retried create",
    ).toEqual([result.id]);
    expect((await run(result.id, `cat ${outs.mountPaths[repo]}/f.txt`)).stdout).toBe("faulty\n");
    await provider.delete(result.id, outs);
  });

  it("refresh, update and delete retry their calls: list, connect, the health check, the remount, the kill and the fork's deletion", async () => {
    const repo = await seedRepoIn(mesa, unique("ws"), { "g.txt": "g\n" });
    const provider = providerFor();
    const logical = unique("faulty-update");
    const { id, inputs, outs } = await createSandbox(provider, logical, {
      repos: [{ repo, org: mesaServer.org }],
      deleteWorkspaceOnDestroy: true,
    });

    // The SDK itself retries a GET three times; the fourth 503 reaches the provider.
    await inject("superserve", { method: "GET", path: "^/sandboxes$", status: 503, count: 4 });
    await inject("superserve", {
      method: "POST",
      path: `^/sandboxes/${id}/activate$`,
      status: 500,
      count: 1,
    });
    await inject("superserve", { method: "POST", path: "^/exec$", drop: true, count: 1 });
    let from = logs.length;
    const read = (await provider.read(id, outs)).props as Record<string, any>;
    expect(await clearFaults(), "every injected fault was hit").toBe(0);
    expect(read.mounted, "the health check went through the faults").toBe(true);
    expect(retried(from).sort()).toEqual([
      "check the mount",
      `connect to sandbox ${id}`,
      "list sandboxes",
    ]);

    await run(id, 'kill -TERM "$(cat /home/user/.local/state/mesa/run/mesa.pid)"');
    const dead = { ...read, mounted: false };
    await inject("superserve", {
      method: "POST",
      path: `^/sandboxes/${id}/activate$`,
      drop: true,
      count: 1,
    });
    await inject("superserve", { method: "POST", path: "^/exec$", status: 500, count: 4 });
    await inject("mesa", { method: "GET", path: "/whoami$", status: 503, count: 1 });
    from = logs.length;
    const repaired = (await provider.update(id, dead, inputs)).outs as Record<string, any>;
    expect(await clearFaults(), "every injected fault was hit").toBe(0);
    expect(repaired.mounted).toBe(true);
    expect(retried(from)).toEqual(
      expect.arrayContaining([
        `connect to sandbox ${id}`,
        "check the mount",
        "sign the mount's Mesa access token",
      ]),
    );
    expect((await run(id, `cat ${outs.mountPaths[repo]}/g.txt`)).stdout).toBe("g\n");

    // The SDK resends an exec once after a 503 (re-activating the sandbox); the second reaches the provider.
    await inject("superserve", { method: "POST", path: "^/exec$", status: 503, count: 2 });
    // The SDK itself retries a DELETE three times; the fourth 503 reaches the provider.
    await inject("superserve", {
      method: "DELETE",
      path: `^/sandboxes/${id}$`,
      status: 503,
      count: 4,
    });
    await inject("mesa", { method: "DELETE", path: `/${repo}/bookmarks/`, status: 500, count: 1 });
    from = logs.length;
    await provider.delete(id, repaired);
    expect(await clearFaults(), "every injected fault was hit").toBe(0);
    expect(retried(from).sort()).toEqual([
      `delete bookmark agents/${logical} of ${mesaServer.org}/${repo}`,
      `kill sandbox ${id}`,
      "stop the mesa daemon",
    ]);
    expect(await status(id), "the sandbox is gone").toBeUndefined();
    await expect(mesa.bookmarks.get({ repo, bookmark: `agents/${logical}` })).rejects.toMatchObject(
      { status: 404 },
    );
  });
});

describe("MountedSandbox provider across a restart of the local backends", () => {
  it("a restart that ended the sandbox's processes: refresh reports it paused and not mounted without resuming it; update resumes and remounts", async () => {
    const repo = await seedRepoIn(mesa, unique("ws"), { "h.txt": "h\n" });
    const logical = unique("restart");
    const { id, inputs, outs } = await createSandbox(providerFor(), logical, { repos: [{ repo }] });
    await backends.restart();
    const provider = providerFor();

    const refreshed = (await provider.read(id, outs)).props as Record<string, any>;
    expect(
      refreshed,
      "the restart left the sandbox paused; its mount cannot be vouched for",
    ).toMatchObject({ status: "paused", mounted: false });
    expect(await status(id), "refresh did not resume it").toBe("paused");
    expect(await provider.diff(id, refreshed, inputs), "up plans the repair").toMatchObject({
      changes: true,
      replaces: [],
    });

    const repaired = (await provider.update(id, refreshed, inputs)).outs as Record<string, any>;
    expect(repaired).toMatchObject({ status: "active", mounted: true });
    const path = outs.mountPaths[repo];
    await run(id, `echo "after the restart" > ${path}/after.txt`);
    expect(
      await eventually("after.txt on the fork", () =>
        remoteText(mesa, repo, "after.txt", `agents/${logical}`),
      ),
    ).toBe("after the restart\n");
    await provider.delete(id, repaired);
  });
});

/** A sandbox of the built-in template, set up by the test with the SDK (killed in afterAll). */
async function bareSandbox(): Promise<string> {
  const made = await Sandbox.create({
    ...conn(),
    name: unique("import"),
    fromTemplate: "superserve/base",
  });
  created.push(made.id);
  return made.id;
}

/** Run a command in the sandbox, failing the test when it exits non-zero. */
async function runOk(id: string, cmd: string, env?: Record<string, string>) {
  const result = await (
    await Sandbox.connect(id, conn())
  ).commands.run(cmd, { env, timeoutMs: 60_000 });
  expect(result.exitCode, `${cmd}: ${result.stderr}`).toBe(0);
  return result;
}

const IMPORT_URN = "urn:pulumi:it::proj::superserve-mesa:index:MountedSandbox::imported";

describe("MountedSandbox import (`pulumi import` through the plugin)", () => {
  it("finds a read-only mount of the vendors' guide with its bookmark", async () => {
    const repo = await seedRepoIn(mesa, unique("guide"), { "README.md": "hello\n" });
    const { token } = await mesa.tokens.create({
      scopes: ["read"],
      repos: [`${mesaServer.org}/${repo}`],
      ttl_seconds: 3600,
    });
    const id = await bareSandbox();
    await runOk(id, "mesa mount -d", { MESA_ORG: mesaServer.org, MESA_API_KEY: token });
    const imported = await providerFor().import(id, IMPORT_URN);
    expect(imported?.id).toBe(id);
    expect(imported?.props).toMatchObject({
      mounted: true,
      org: mesaServer.org,
      bookmarks: { [repo]: "main" },
      repos: [{ repo, fork: false, readOnly: true }],
      tokenExpiresAt: "",
    });
    expect(imported?.inputs.repos, "the program's repos, as mounted").toEqual([
      { repo, fork: false, readOnly: true },
    ]);
    expect(imported?.inputs.unreported).toEqual(expect.arrayContaining(["template", "envVars"]));
    expect(JSON.stringify(imported), "the token is read nowhere").not.toContain(token);
  });

  it("believes what a hostile sandbox fakes only for the repo Mesa knows", async () => {
    const repo = await seedRepoIn(mesa, unique("real"), { "README.md": "real\n" });
    const id = await bareSandbox();
    const stats = JSON.stringify({
      org: mesaServer.org,
      state: "ok",
      repos: [
        { repo: `${mesaServer.org}/${repo}`, rev: "bookmark:main", readOnly: false },
        { repo: `${mesaServer.org}/ghost`, rev: "bookmark:main", readOnly: false },
        { repo: `${mesaServer.org}/x;reboot`, rev: "bookmark:main", readOnly: false },
      ],
    });
    await runOk(
      id,
      [
        `mkdir -p ${MOUNT_POINT}/${mesaServer.org}/${repo} ${MOUNT_POINT}/${mesaServer.org}/ghost $(dirname ${PID_FILE}) $HOME/.local/bin`,
        `setsid sleep 300 >/dev/null 2>&1 < /dev/null & echo $! > ${PID_FILE}`,
        `printf '%s\\n' '${stats}' > /tmp/fake-stats.json`,
        `printf '#!/bin/sh\\ncat /tmp/fake-stats.json\\n' > $HOME/.local/bin/mesa`,
        "chmod +x $HOME/.local/bin/mesa",
      ].join("\n"),
    );
    const imported = await providerFor().import(id, IMPORT_URN);
    expect(imported?.props).toMatchObject({
      mounted: true,
      mountPaths: { [repo]: `${MOUNT_POINT}/${mesaServer.org}/${repo}` },
      bookmarks: { [repo]: "main" },
      repos: [{ repo, fork: false, readOnly: false }],
    });
    expect(Object.keys(imported?.props.mountPaths as object), "ghost left out").toEqual([repo]);
    expect(logs.join("\n")).toContain(`mounts ${mesaServer.org}/ghost, which Mesa does not show`);
  });

  it("leaves repos to the program when nothing is mounted", async () => {
    const id = await bareSandbox();
    const imported = await providerFor().import(id, IMPORT_URN);
    expect(imported?.props).toMatchObject({ status: "active", mounted: false, mountPaths: {} });
    expect(imported?.props.repos).toBeUndefined();
    expect(imported?.inputs.unreported).toContain("repos");
    await runOk(
      id,
      `mkdir -p $(dirname ${PID_FILE}) && { setsid sleep 300 >/dev/null 2>&1 < /dev/null & echo $! > ${PID_FILE}; }`,
    );
    const refreshed = (await providerFor().read(id, imported!.props)).props as Record<string, any>;
    expect(refreshed.mounted, "a daemon serving nothing known is no mount").toBe(false);
  });

  it("finds nothing for an id that names no sandbox", async () => {
    expect(await providerFor().import("no-such-sandbox", IMPORT_URN)).toBeUndefined();
  });
});
