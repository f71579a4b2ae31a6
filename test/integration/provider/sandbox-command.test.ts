/**
 * The SandboxCommand provider against local Mesa and local Superserve, in a real mounted sandbox,
 * observed through the unmodified SDKs: a foreground command that fails fails the create with its
 * stderr; a background agent runs detached (its environment in no command line), is read on
 * refresh (running, then exited) without planning a change, is not read while its sandbox is
 * paused (no resume); a process the sandbox lost shows as `lost` and the next update starts it
 * again (also after a restart of the local backends that ended the sandbox's processes, while a
 * restart that keeps them keeps the command running); triggers and the environment replace it; a
 * retried create adopts the command an interrupted one started; delete stops a running command and
 * keeps what it wrote; an agent outliving its mount's token keeps running through the remount that
 * renews it, and what it writes after the remount reaches Mesa (while the mount had failed closed,
 * writes were refused).
 */
import type { Mesa } from "@mesadev/sdk" with { "resolution-mode": "import" };
import { Sandbox, Template } from "@superserve/sdk";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LogSink } from "../../../provider/engine-log";
import type { ProviderMethods, ProviderEnvironment } from "../../../provider/lifecycle";
import { systemClock } from "../../../provider/retry";
import { createProvider as sandboxProvider } from "../../../provider/mounted-sandbox/provider";
import { createProvider as commandProvider } from "../../../provider/sandbox-command/provider";
import { eventually } from "../../helpers/eventually";
import { startLocalBackends, type LocalBackends } from "../../helpers/local-backends";
import { remoteText, seedRepo } from "../../helpers/mesa-repos";

let backends: LocalBackends;
let mesa: Mesa;
let template: string;
const logs: string[] = [];
const sink: LogSink = { send: (_s, m) => void logs.push(m) };
const created: string[] = [];

const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;
const conn = () => backends.conn();
const urnFor = (type: string, name: string) =>
  `urn:pulumi:it::proj::pulumi-nodejs:dynamic/superserve-mesa:${type}::${name}`;

beforeAll(async () => {
  backends = await startLocalBackends({ mesaCli: true, superserve: { killGraceMs: 10_000 } });
  mesa = backends.mesaClient;
  const t = await Template.create({ ...conn(), name: unique("tpl"), from: "debian:12" });
  await t.waitUntilReady({ pollIntervalMs: 100 });
  template = t.name;
}, 300_000);

afterAll(async () => {
  for (const id of created) await Sandbox.killById(id, conn()).catch(() => undefined);
  await backends?.close();
}, 120_000);

function environment(): ProviderEnvironment {
  return {
    env: backends.env(),
    cwd: "/nonexistent",
    clock: systemClock,
    logSink: sink,
    suffix: () => randomUUID().slice(0, 7),
  };
}

type Props = Record<string, any>;

/** A mounted sandbox with a fresh repo; returns its id, mount path, fork bookmark and repo. */
async function mountedSandbox() {
  const repo = await seedRepo(mesa, unique("ws"), { "TODO.md": "the feature\n" });
  const logical = unique("box");
  const provider = sandboxProvider(undefined, environment());
  const checked = await provider.check(
    {},
    { pulumiUrn: urnFor("MountedSandbox", logical), template, repos: [{ repo }] },
  );
  expect(checked.failures).toEqual([]);
  const { id, outs } = await provider.create(checked.inputs);
  created.push(id);
  return {
    sandboxId: id,
    mountPath: (outs as Props).mountPaths[repo] as string,
    bookmark: `agents/${logical}`,
    repo,
  };
}

/** Check the command's inputs with the provider (defaults filled). */
async function checked(provider: ProviderMethods, inputs: Props, olds: Props = {}) {
  const result = await provider.check(olds, {
    pulumiUrn: urnFor("SandboxCommand", unique("cmd")),
    ...inputs,
  });
  expect(result.failures).toEqual([]);
  return result.inputs as Props;
}

async function run(sandboxId: string, cmd: string) {
  const sandbox = await Sandbox.connect(sandboxId, conn());
  return sandbox.commands.run(cmd, { timeoutMs: 30_000 });
}

async function status(id: string): Promise<string | undefined> {
  return (await Sandbox.list(conn())).find((s) => s.id === id)?.status;
}

const read = async (provider: ProviderMethods, id: string, state: Props) =>
  (await provider.read(id, state)).props as Props;

/** The agent: writes its task into the mount over a few seconds, then exits. */
const AGENT =
  'printf "%s\\n" "$AGENT_TASK" > "$PWD/agent.txt"; for i in 1 2 3 4; do sleep 1; echo "step $i" >> "$PWD/agent.txt"; echo "step $i"; done';

describe("SandboxCommand provider against the local backends", () => {
  it("a foreground command that exits non-zero fails the create with its exit code and stderr; one that succeeds records its output", async () => {
    const box = await mountedSandbox();
    const provider = commandProvider(undefined, environment());
    const failing = await checked(provider, {
      sandboxId: box.sandboxId,
      cwd: box.mountPath,
      create: 'echo "compiling"; echo "error: TODO.md is not done" >&2; exit 7',
    });
    const error = await provider.create(failing).then(
      () => undefined,
      (err: Error) => err,
    );
    expect(error?.name, "a plain failure: nothing recorded in the state").toBe(
      "CommandFailedError",
    );
    expect(error?.message).toMatch(/exited with code 7/);
    expect(error?.message).toMatch(/error: TODO.md is not done/);

    const ok = await checked(provider, {
      sandboxId: box.sandboxId,
      cwd: box.mountPath,
      create: 'cat TODO.md; echo "secret is $TOKEN"; echo oops >&2',
      environment: { TOKEN: "s3cr3t-value" },
    });
    const { outs } = await provider.create(ok);
    expect(outs).toMatchObject({
      status: "exited",
      exitCode: 0,
      stdout: "the feature\nsecret is [secret]\n",
      stderr: "oops\n",
      truncated: false,
    });
    expect(JSON.stringify(outs.logTail)).not.toMatch(/s3cr3t/);
  });

  it("background: runs detached with its environment in no command line; refresh reads it running, then exited, planning no change; delete removes it", async () => {
    const box = await mountedSandbox();
    const provider = commandProvider(undefined, environment());
    const inputs = await checked(provider, {
      sandboxId: box.sandboxId,
      cwd: box.mountPath,
      create: AGENT,
      environment: { AGENT_TASK: "task-for-the-agent-42" },
      background: true,
    });
    const { id, outs } = await provider.create(inputs);
    expect(outs).toMatchObject({ status: "running" });
    expect(outs.pid).toBeGreaterThan(0);
    const ps = await run(box.sandboxId, "cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\\0' ' '");
    expect(ps.stdout, "the environment is in no command line").not.toMatch(/task-for-the-agent-42/);

    const running = await read(provider, id, outs);
    expect(running.status).toBe("running");
    expect(await provider.diff(id, running, inputs), "a running agent is not drift").toMatchObject({
      changes: false,
      replaces: [],
    });
    const exited = await eventually(
      "the agent to exit",
      async () => {
        const props = await read(provider, id, running);
        return props.status === "exited" ? props : undefined;
      },
      30_000,
    );
    expect(exited).toMatchObject({ exitCode: 0, logTail: "step 1\nstep 2\nstep 3\nstep 4" });
    expect(Date.parse(exited.finishedAt)).toBeGreaterThanOrEqual(Date.parse(exited.startedAt));
    expect(await provider.diff(id, exited, inputs), "a finished agent is not drift").toMatchObject({
      changes: false,
      replaces: [],
    });
    expect(
      await eventually(
        "the agent's file on the sandbox's bookmark",
        () => remoteText(mesa, box.repo, "agent.txt", box.bookmark),
        20_000,
      ),
    ).toMatch(/^task-for-the-agent-42\n/);
    await provider.delete(id, exited);
    expect((await run(box.sandboxId, `ls /home/user/.local/state/sandbox-command`)).stdout).toBe(
      "",
    );
  });

  it("background: a command that fails within its first seconds fails the create with its log tail; a later failure shows in refresh with its exit code and log tail", async () => {
    const box = await mountedSandbox();
    const provider = commandProvider(undefined, environment());
    const inputs = await checked(provider, {
      sandboxId: box.sandboxId,
      cwd: box.mountPath,
      create: 'echo "no API key" >&2; exit 3',
      background: true,
    });
    await expect(provider.create(inputs)).rejects.toThrow(/exited with code 3[\s\S]*no API key/);

    const late = await checked(provider, {
      sandboxId: box.sandboxId,
      create: 'echo "working"; sleep 4; echo "gave up: the tests fail" >&2; exit 9',
      background: true,
    });
    const { id, outs } = await provider.create(late);
    expect(outs.status, "a later failure is no failure of the up").toBe("running");
    const failed = await eventually(
      "the agent to fail",
      async () => {
        const props = await read(provider, id, outs);
        return props.status === "exited" ? props : undefined;
      },
      30_000,
    );
    expect(failed).toMatchObject({ exitCode: 9, logTail: "working\ngave up: the tests fail" });
    expect(await provider.diff(id, failed, late), "a failed agent is no drift").toMatchObject({
      changes: false,
      replaces: [],
    });
  });

  it("a paused sandbox is not resumed by refresh (status paused, outputs kept); up checks it; a lost process shows as lost and update starts it again", async () => {
    const box = await mountedSandbox();
    const provider = commandProvider(undefined, environment());
    const inputs = await checked(provider, {
      sandboxId: box.sandboxId,
      cwd: box.mountPath,
      create: "echo started; sleep 600",
      background: true,
    });
    const { id, outs } = await provider.create(inputs);
    await (await Sandbox.connect(box.sandboxId, conn())).pause();
    const paused = await read(provider, id, outs);
    expect(paused).toMatchObject({ status: "paused", pid: outs.pid, startedAt: outs.startedAt });
    expect(await status(box.sandboxId), "refresh did not resume the sandbox").toBe("paused");
    expect(await provider.diff(id, paused, inputs), "up checks it").toMatchObject({
      changes: true,
      replaces: [],
    });
    const checkedAgain = (await provider.update(id, paused, inputs)).outs as Props;
    expect(checkedAgain, "the pause kept the process").toMatchObject({
      status: "running",
      pid: outs.pid,
    });

    await run(box.sandboxId, `kill -KILL -${outs.pid}`);
    const lost = await read(provider, id, checkedAgain);
    expect(lost.status).toBe("lost");
    expect(await provider.diff(id, lost, inputs), "up starts it again").toMatchObject({
      changes: true,
      replaces: [],
    });
    const restarted = (await provider.update(id, lost, inputs)).outs as Props;
    expect(restarted.status).toBe("running");
    expect(restarted.pid).not.toBe(outs.pid);
    expect(restarted.logTail).toBe("started");
    await provider.delete(id, restarted);
  });

  it("a create retried after an interrupted run adopts the running command instead of starting a second one", async () => {
    const box = await mountedSandbox();
    const provider = commandProvider(undefined, environment());
    const inputs = await checked(provider, {
      sandboxId: box.sandboxId,
      create: "sleep 600",
      environment: { TOKEN: "t0ken-value" },
      background: true,
    });
    const first = await provider.create(inputs);
    const retried = await provider.create(inputs);
    expect(retried.id, "the same command").toBe(first.id);
    expect(retried.outs).toMatchObject({ status: "running", pid: first.outs.pid });
    const other = await provider.create({ ...inputs, triggers: ["again"] });
    expect(other.id, "other inputs: a command of its own").not.toBe(first.id);
    const dirs = await run(box.sandboxId, "ls /home/user/.local/state/sandbox-command");
    expect(dirs.stdout.trim().split("\n").sort()).toEqual([first.id, other.id].sort());
    const owners = await run(box.sandboxId, "cat /home/user/.local/state/sandbox-command/*/owner");
    expect(owners.stdout, "no environment value in the sandbox's files").not.toMatch(/t0ken/);
    await provider.delete(first.id, first.outs);
    await provider.delete(other.id, other.outs);
  });

  it("triggers and the environment replace the command; other changes are in place", async () => {
    const box = await mountedSandbox();
    const provider = commandProvider(undefined, environment());
    const base = { sandboxId: box.sandboxId, create: "true", triggers: [1] };
    const inputs = await checked(provider, base);
    const { id, outs } = await provider.create(inputs);
    const diff = (news: Props) => provider.diff(id, outs, { ...inputs, ...news });
    expect(await diff({})).toMatchObject({ changes: false, replaces: [] });
    expect(await diff({ triggers: [2] })).toMatchObject({ replaces: ["triggers"] });
    expect(await diff({ environment: { A: "b" } })).toMatchObject({ replaces: ["environment"] });
    expect(await diff({ create: "echo again" })).toMatchObject({ replaces: ["create"] });
    expect(await diff({ create: "echo again", update: "echo updated" })).toMatchObject({
      changes: true,
      replaces: [],
    });
    expect(await diff({ sandboxId: "other" })).toMatchObject({ replaces: ["sandboxId"] });
    expect(await diff({ logLines: 5 })).toMatchObject({ changes: true, replaces: [] });
    const updated = (
      await provider.update(id, outs, { ...inputs, create: "echo again", update: "echo updated" })
    ).outs as Props;
    expect(updated).toMatchObject({ status: "exited", exitCode: 0, stdout: "updated\n" });
  });

  it("delete stops a running command (SIGTERM) and runs the delete command; what it wrote is kept", async () => {
    const box = await mountedSandbox();
    const provider = commandProvider(undefined, environment());
    const inputs = await checked(provider, {
      sandboxId: box.sandboxId,
      cwd: box.mountPath,
      create: 'echo "before the stop" > "$PWD/work.txt"; sleep 600',
      delete: 'echo "cleaned up" > "$PWD/deleted.txt"',
      background: true,
    });
    const { id, outs } = await provider.create(inputs);
    const from = logs.length;
    await provider.delete(id, outs);
    expect(logs.slice(from).join("\n"), "SIGTERM was enough").not.toMatch(/was killed/);
    const left = await run(
      box.sandboxId,
      `grep -qv "^${outs.pid} ([^)]*) Z" /proc/${outs.pid}/stat 2>/dev/null && echo alive; cat ${box.mountPath}/deleted.txt`,
    );
    expect(left.stdout, "stopped; the delete command ran").toBe("cleaned up\n");
    expect(
      await eventually(
        "work.txt on the bookmark",
        () => remoteText(mesa, box.repo, "work.txt", box.bookmark),
        20_000,
      ),
    ).toBe("before the stop\n");
    await provider.delete(id, outs);
  });
});

describe("an agent that outlives its mount's token", () => {
  it("refresh after the expiry shows the mount not serving (failed closed); the update re-signs and remounts without restarting the agent, and nothing it wrote is lost", async () => {
    const repo = await seedRepo(mesa, unique("ws"), { "TODO.md": "the feature\n" });
    const logical = unique("short");
    const boxes = sandboxProvider(undefined, environment());
    const checkedBox = await boxes.check(
      {},
      {
        pulumiUrn: urnFor("MountedSandbox", logical),
        template,
        repos: [{ repo }],
        tokenTtlSeconds: 20,
      },
    );
    const box = await boxes.create(checkedBox.inputs);
    created.push(box.id);
    const boxOuts = box.outs as Props;
    const mountPath = boxOuts.mountPaths[repo] as string;
    const commands = commandProvider(undefined, environment());
    const inputs = await checked(commands, {
      sandboxId: box.id,
      cwd: mountPath,
      create:
        'i=0; while [ "$i" -lt 120 ]; do i=$((i + 1)); echo "line $i" >> "$PWD/progress.txt"; sleep 0.5; done',
      background: true,
    });
    const agent = await commands.create(inputs);
    const agentOuts = agent.outs as Props;

    const expired = await eventually(
      "a refresh after the token's expiry to show the mount not serving",
      async () => {
        const props = await read(boxes, box.id, boxOuts);
        return props.mounted === false ? props : undefined;
      },
      60_000,
      500,
    );
    expect(Date.parse(boxOuts.tokenExpiresAt)).toBeLessThanOrEqual(Date.now());
    const lines = async () => (await run(box.id, `cat ${mountPath}/progress.txt`)).stdout;
    const atExpiry = (await lines()).trim().split("\n");
    await eventually(
      "the expired mount to leave its failed-closed notice (MESA_MOUNT_FAILED)",
      async () =>
        (
          await run(
            box.id,
            "find /home/user/.local/share/mesa/mnt -maxdepth 3 -name MESA_MOUNT_FAILED",
          )
        ).stdout.trim() || undefined,
      30_000,
    );
    expect(await boxes.diff(box.id, expired, checkedBox.inputs)).toMatchObject({
      changes: true,
      replaces: [],
    });
    const remounted = (await boxes.update(box.id, expired, checkedBox.inputs)).outs as Props;
    expect(remounted.mounted).toBe(true);
    expect(Date.parse(remounted.tokenExpiresAt)).toBeGreaterThan(Date.now());
    const still = await read(commands, agent.id, agentOuts);
    expect(still, "the agent was not restarted").toMatchObject({
      status: "running",
      pid: agentOuts.pid,
      startedAt: agentOuts.startedAt,
    });
    const number = (line: string | undefined) => Number(line?.replace("line ", "") ?? 0);
    const lastAtExpiry = number(atExpiry.at(-1));
    const persisted = await eventually(
      `a line the agent wrote after the remount (after "line ${lastAtExpiry}") on the bookmark`,
      async () => {
        const text = await remoteText(mesa, repo, "progress.txt", `agents/${logical}`);
        return number(text?.trim().split("\n").at(-1)) > lastAtExpiry + 1 ? text : undefined;
      },
      30_000,
    );
    expect(
      persisted.startsWith(`${atExpiry.join("\n")}\n`),
      "everything written before the expiry is on the bookmark",
    ).toBe(true);
    const written = persisted.trim().split("\n");
    expect(
      written,
      "no line is lost: those the agent (the sandbox's root) wrote while the mount was failed closed were written by the new mount",
    ).toEqual(written.map((_, i) => `line ${i + 1}`));
    await commands.delete(agent.id, still);
    await boxes.delete(box.id, remounted);
  });
});

describe("SandboxCommand provider across a restart of the local backends", () => {
  it("a restart that keeps the processes keeps the command; one that ended them: refresh says paused without resuming; update resumes, finds it lost and starts it again", async () => {
    const box = await mountedSandbox();
    const inputs = await checked(commandProvider(undefined, environment()), {
      sandboxId: box.sandboxId,
      create: "echo up; sleep 600",
      background: true,
    });
    const { id, outs } = await commandProvider(undefined, environment()).create(inputs);
    await backends.restart({ keepSandboxes: true });
    let provider = commandProvider(undefined, environment());
    expect(
      await read(provider, id, outs),
      "a restart that keeps the sandboxes' processes keeps the command",
    ).toMatchObject({ status: "running", pid: outs.pid });

    await backends.restart();
    provider = commandProvider(undefined, environment());
    const refreshed = await read(provider, id, outs);
    expect(refreshed.status).toBe("paused");
    expect(await status(box.sandboxId), "refresh did not resume it").toBe("paused");
    const restarted = (await provider.update(id, refreshed, inputs)).outs as Props;
    expect(restarted).toMatchObject({ status: "running", logTail: "up" });
    expect(logs.some((l) => /lost\); starting it again/.test(l))).toBe(true);
    await provider.delete(id, restarted);
  });
});
