/**
 * The vendors' guide runs as written on the local backends.
 *
 * The guide: "Mesa" in Superserve's storage docs (https://docs.superserve.ai/storage/mesa.md),
 * the same flow as Mesa's Superserve integration guide
 * (https://docs.mesa.dev/content/integration-guides/superserve). In three steps: outside the
 * sandbox the Mesa SDK creates the repo and signs a short-lived, repo-scoped access token
 * (locally, from the API key, which never enters the sandbox); inside, the `mesa` CLI is installed
 * with the standard script (`curl -fsSL https://mesa.dev/install.sh | sh -s -- --yes`; the guide
 * notes it apt-installs fuse3, and that Superserve's microVMs need neither `user_allow_other`
 * nor `chmod 666 /dev/fuse`) and `mesa mount --daemonize` runs with just `MESA_ORG` and
 * `MESA_API_KEY` (the token); then the agent works in `~/.local/share/mesa/mnt/<org>/<repo>` and
 * every edit is persisted back to Mesa. Its TypeScript script: `new Mesa({ apiKey })` →
 * `mesa.repos.create({ name: "agent-workspace" })` → `mesa.tokens.create({ scopes: ["read",
 * "write"], repos: ["my-org/agent-workspace"], ttl_seconds: 3600 })` → `Sandbox.create({
 * fromTemplate: "superserve/base", … })` → the installer → `mesa mount -d`. For sandboxes that
 * start ready, it bakes the CLI into a custom template (`from: "ubuntu:24.04"`, an apt step, the
 * installer step), whose sandboxes mount without an install.
 *
 * The scripts are in ./seed-guide/ (guide.mts, custom-template.mts): the guide's calls with the
 * credentials, endpoints and org swapped, the sandbox `name` SDK 0.8.1 requires added, and the
 * other differences the README lists ("The vendors' guide runs as written"). This test starts the local backends as a user
 * does (`pulumi-superserve-mesa-local start`, its own data directory and free ports), runs each
 * script as a separate process with the credentials a user would export, checks every step it
 * printed, reads the agent's edit back with the Mesa SDK, and checks in the sandbox's network log
 * that the flow went through the vendor hosts the guide names (the installer from `mesa.dev`, the
 * mount against `api.mesa.dev`, no `MESA_API_URL`).
 */
import type { Mesa } from "@mesadev/sdk" with { "resolution-mode": "import" };
import { Sandbox, Template, type NetworkEvent } from "@superserve/sdk";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../helpers/eventually";
import { credentialVariables } from "../helpers/credentials";
import { localCommand, type LocalCommand } from "../helpers/local-command";
import { remoteText } from "../helpers/mesa-repos";
import { repoRoot } from "../helpers/pulumi";

const scripts = join(__dirname, "seed-guide");
const run = promisify(execFile);

/** What the scripts create (their names are the guide's), removed in afterAll. */
const CREATED = {
  repos: ["agent-workspace", "agent-workspace-prebaked"],
  sandboxes: ["mesa-agent", "mesa-agent-prebaked"],
  template: "mesa-agent",
};
/** The edit the scripts' agent step makes in the mount. */
const AGENT_FILE = "AGENT_NOTES.md";
const AGENT_TEXT = "written by the agent\n";
/** Where the guide's agent works: `~/.local/share/mesa/mnt/<org>/<repo>` (HOME is /home/user). */
const MOUNT_ROOT = "/home/user/.local/share/mesa/mnt";

let local: LocalCommand;
let mesa: Mesa;

const conn = () => local.conn();

/** One step a script printed: `step <name>: <what it did>`. */
interface Step {
  name: string;
  done: string;
}

/**
 * Run a guide script (tsx, with the endpoint preload) with the credentials a user exports;
 * returns the steps it printed. A failed step fails here with the script's output.
 */
async function runScript(file: string): Promise<Step[]> {
  const env = {
    ...local.cleanEnv(),
    ...credentialVariables({ mesa: local.endpoints.mesa, superserve: local.endpoints.superserve }),
    MESA_ORG: local.endpoints.mesa.org,
  };
  const tsx = join(repoRoot, "node_modules", ".bin", "tsx");
  const result = await run(tsx, ["--import", "./local-endpoints.mts", file], {
    cwd: scripts,
    env,
    timeout: 600_000,
  }).catch((error: unknown) => {
    const failed = error as Error & { code?: number; stdout?: string; stderr?: string };
    throw new Error(
      `${file} exited ${failed.code}:\n${failed.stdout ?? ""}\n${failed.stderr ?? failed.message}`,
    );
  });
  return result.stdout
    .split("\n")
    .map((line) => /^step ([^:]+): (.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map(([, name, done]) => ({ name, done }));
}

function stepDone(steps: Step[], name: string): string {
  const step = steps.find((s) => s.name === name);
  if (!step) throw new Error(`no step ${name} among ${steps.map((s) => s.name).join(", ")}`);
  return step.done;
}

/** The sandbox a script created, by the name the guide gives it. */
async function sandboxNamed(name: string): Promise<Sandbox> {
  const info = (await Sandbox.list(conn())).find((s) => s.name === name);
  if (!info) throw new Error(`no sandbox named ${name}`);
  return Sandbox.connect(info.id, conn());
}

/** Every row of a sandbox's network log (it pages). */
async function networkLog(sandbox: Sandbox): Promise<NetworkEvent[]> {
  const events: NetworkEvent[] = [];
  let before: string | undefined;
  for (;;) {
    const page = await sandbox.getNetworkLog({ limit: 100, before });
    events.push(...page.events);
    if (!page.hasMore) return events;
    before = page.nextCursor;
  }
}

const requestsTo = (events: NetworkEvent[], host: string) =>
  events.filter((e) => e.kind === "request" && e.host === host);

/** The agent's edit, read back from `repo`'s default bookmark with the Mesa SDK. */
async function editReachedMesa(repo: string): Promise<void> {
  const { default_bookmark } = await mesa.repos.get({ repo });
  expect(
    await eventually(
      `${AGENT_FILE} on ${repo}@${default_bookmark} in Mesa`,
      () => remoteText(mesa, repo, AGENT_FILE, default_bookmark),
      20_000,
      250,
    ),
  ).toBe(AGENT_TEXT);
}

beforeAll(async () => {
  local = localCommand("psm-seed-guide-");
  await local.start();
  mesa = local.mesaClient;
}, 300_000);

afterAll(async () => {
  try {
    if (mesa) {
      const all = await Sandbox.list(conn()).catch(() => []);
      for (const s of all.filter((s) => CREATED.sandboxes.includes(s.name)))
        await Sandbox.killById(s.id, conn()).catch(() => undefined);
      await Template.deleteById(CREATED.template, conn()).catch(() => undefined);
      for (const repo of CREATED.repos) await mesa?.repos.delete({ repo }).catch(() => undefined);
    }
  } finally {
    await local?.close();
  }
}, 300_000);

describe("the vendors' guide, as written, on the local backends", () => {
  it("superserve/base: every step passes and the agent's edit reaches Mesa", async () => {
    const steps = await runScript("guide.mts");
    expect(steps.map((s) => s.name)).toEqual([
      "repos.create",
      "tokens.create",
      "Sandbox.create",
      "install",
      "mesa mount -d",
      "agent",
    ]);
    expect(stepDone(steps, "install")).toContain("installed to /usr/local/bin/mesa");
    expect(stepDone(steps, "mesa mount -d")).toContain("mounted 1 repo(s)");
    expect(stepDone(steps, "agent")).toContain(
      `${MOUNT_ROOT}/${local.endpoints.mesa.org}/agent-workspace`,
    );
    await editReachedMesa("agent-workspace");

    const log = await networkLog(await sandboxNamed("mesa-agent"));
    expect(
      requestsTo(log, "mesa.dev").map((e) => `${e.method} ${e.path} ${e.status}`),
      "the installer came from https://mesa.dev/install.sh",
    ).toContain("GET /install.sh 200");
    expect(
      requestsTo(log, "api.mesa.dev").length,
      "the mount talked to api.mesa.dev, the CLI's default",
    ).toBeGreaterThan(0);
  });

  it("the guide's custom template (ubuntu:24.04, apt, installer) builds, and its sandboxes mount without an install", async () => {
    const steps = await runScript("custom-template.mts");
    expect(steps.map((s) => s.name)).toEqual([
      "Template.create",
      "repos.create",
      "tokens.create",
      "Sandbox.create",
      "mesa on the PATH",
      "mesa mount -d",
      "agent",
    ]);
    expect(stepDone(steps, "Template.create")).toContain("ready");
    expect(
      stepDone(steps, "mesa on the PATH"),
      "the wrapper the template's installer step left",
    ).toBe("exit 0: /usr/local/bin/mesa");
    expect(stepDone(steps, "mesa mount -d")).toContain("mounted 1 repo(s)");
    await editReachedMesa("agent-workspace-prebaked");

    const log = await networkLog(await sandboxNamed("mesa-agent-prebaked"));
    expect(requestsTo(log, "mesa.dev"), "no installer download in the sandbox").toEqual([]);
    expect(
      requestsTo(log, "api.mesa.dev").length,
      "the mount talked to api.mesa.dev",
    ).toBeGreaterThan(0);
  });
});
