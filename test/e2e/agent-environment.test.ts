/**
 * AgentEnvironment through the real Pulumi engine against local Mesa and local Superserve
 * (sandboxes carrying the bundled `mesa` CLI): up with 3 sandboxes, no-op up, in-place metadata
 * update, an agent's edit seen in the outputs after a refresh with no change planned, refresh
 * after a kill / a pause / a stopped mount (no resume) and the up that repairs them, token renewal,
 * template replacement keeping the work on the bookmarks, an interrupted up that converges, destroy
 * that keeps the bookmarks and leaves nothing running, and a plaintext scan of the state.
 */
import type { Mesa } from "@mesadev/sdk" with { "resolution-mode": "import" };
import { Sandbox } from "@superserve/sdk";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { CLOCK_OFFSET_VARIABLE } from "../../provider/clock-offset";
import { eventually as eventuallyWithin } from "../helpers/eventually";
import { startLocalBackends, type LocalBackends } from "../helpers/local-backends";
import { remoteText } from "../helpers/mesa-repos";
import { uniqueName } from "../helpers/names";
import { createTempProject, type TempProject } from "../helpers/pulumi";
import { dependentSteps } from "../helpers/steps";

const eventually = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000) =>
  eventuallyWithin(what, probe, timeoutMs, 250);

let backends: LocalBackends;
let mesa: Mesa;
let project: TempProject;
const repoName = uniqueName("agent-workspace");
const conn = () => backends.conn();
const MOUNT = () => `/home/user/.local/share/mesa/mnt/${backends.mesa.org}/${repoName}`;

/** The token lifetime of the renewal step: renewed within its last 60 s. */
const TOKEN_TTL_SECONDS = 600;

interface Knobs {
  count?: number;
  metadata?: Record<string, string>;
  ttl?: number;
  version?: string;
}

function program({
  count = 3,
  metadata = { team: "agents" },
  ttl,
  version = "v1",
}: Knobs = {}): string {
  return `import { AgentEnvironment } from "pulumi-superserve-mesa";

const env = new AgentEnvironment("agents", {
  repo: { name: ${JSON.stringify(repoName)} },
  template: { from: "debian:12", steps: [{ run: "echo ${version} > /etc/agent-version" }] },
  sandboxes: { count: ${count}, metadata: ${JSON.stringify(metadata)}${ttl ? `, tokenTtlSeconds: ${ttl}` : ""} },
  protectRepo: false,
  transform: { repo: (_args, opts) => { opts.retainOnDelete = true; } },
});
export const mounts = env.mountPaths;
export const sandboxes = env.sandboxes;
export const workspaces = env.workspaces;
`;
}

type SandboxOut = {
  name: string;
  sandboxId: string;
  bookmark: string;
  mountPath: string;
  workspace?: {
    bookmark: string;
    baseChangeId: string;
    headChangeId: string;
    changes: number;
    filesChanged: number;
  };
};

async function sandboxesOf(): Promise<SandboxOut[]> {
  return (await project.stack.outputs()).sandboxes.value as SandboxOut[];
}

async function stateResources(): Promise<
  Array<{ urn: string; type: string; id?: string; outputs?: Record<string, any> }>
> {
  const exported = await project.stack.exportStack();
  return (exported.deployment as { resources?: any[] }).resources ?? [];
}

async function sandboxState(index: number): Promise<Record<string, any> | undefined> {
  return (await stateResources()).find((r) => r.urn.endsWith(`::agents-sandbox-${index}`))?.outputs;
}

async function liveSandboxes(): Promise<
  Array<{ id: string; status: string; metadata: Record<string, string> }>
> {
  const all = await Sandbox.list(conn());
  return all.filter((s) => (s.metadata["pulumi-urn"] ?? "").includes("::agents-sandbox-"));
}

async function run(id: string, cmd: string) {
  const sandbox = await Sandbox.connect(id, conn());
  return sandbox.commands.run(cmd, { timeoutMs: 30_000 });
}

async function up() {
  const result = await project.stack.up({ color: "never" });
  expect(result.summary.result, result.stderr).toBe("succeeded");
  return result;
}

beforeAll(async () => {
  backends = await startLocalBackends({ mesaCli: true, superserve: { killGraceMs: 10_000 } });
  mesa = backends.mesaClient;
  project = await createTempProject({
    name: uniqueName("agents"),
    program: program(),
    env: backends.env(),
  });
});

afterAll(async () => {
  await project?.dispose().catch(() => undefined);
  for (const s of (await Sandbox.list(conn()).catch(() => [])) ?? [])
    await Sandbox.killById(s.id, conn()).catch(() => undefined);
  await backends?.close();
});

describe("AgentEnvironment through the real engine", () => {
  const step = dependentSteps();
  let firstIds: string[] = [];

  step(
    "creates a repo, a template and 3 sandboxes, each with the repo mounted on its own bookmark",
    async () => {
      const result = await up();
      expect(
        result.summary.resourceChanges,
        "stack, component, repo, template and 3 sandboxes",
      ).toEqual({ create: 7 });
      const boxes = await sandboxesOf();
      expect(boxes.map((b) => b.bookmark)).toEqual([
        "agents/agents-sandbox-0",
        "agents/agents-sandbox-1",
        "agents/agents-sandbox-2",
      ]);
      expect(new Set(boxes.map((b) => b.mountPath))).toEqual(new Set([MOUNT()]));
      expect(Object.keys(result.outputs.mounts.value)).toEqual(boxes.map((b) => b.name));
      firstIds = boxes.map((b) => b.sandboxId);
      for (const box of boxes) {
        expect(
          (await run(box.sandboxId, `test -d ${box.mountPath} && echo ok`)).stdout.trim(),
          `${box.name} has the mount`,
        ).toBe("ok");
      }
      await run(boxes[0].sandboxId, `echo "work of agent 0" > ${boxes[0].mountPath}/agent0.txt`);
      expect(
        await eventually("agent0.txt on agent 0's bookmark", () =>
          remoteText(mesa, repoName, "agent0.txt", "agents/agents-sandbox-0"),
        ),
      ).toBe("work of agent 0\n");
      expect(
        await remoteText(mesa, repoName, "agent0.txt", "agents/agents-sandbox-1"),
        "sandboxes do not share a bookmark",
      ).toBeUndefined();
    },
  );

  step("changes nothing on a second up", async () => {
    const result = await up();
    expect(result.summary.resourceChanges).toEqual({ same: 7 });
  });

  step(
    "shows agent 0's edit in the stack outputs after a refresh --run-program, and a following preview plans no change",
    async () => {
      const before = await sandboxesOf();
      expect(
        before[0].workspace,
        "an up does not read the agents' progress: agent 0's edit is not in the outputs yet",
      ).toMatchObject({ changes: 0 });
      const head = (
        await mesa.bookmarks.get({ repo: repoName, bookmark: "agents/agents-sandbox-0" })
      ).change_id;
      // --run-program: the program runs again, so the stack outputs carry the refreshed workspaces.
      const refresh = await project.stack.refresh({ color: "never", runProgram: true });
      expect(refresh.summary.result, refresh.stderr).toBe("succeeded");
      const boxes = await sandboxesOf();
      expect(boxes[0].workspace, "agent 0 wrote agent0.txt").toMatchObject({
        bookmark: "agents/agents-sandbox-0",
        baseChangeId: before[0].workspace!.baseChangeId,
        headChangeId: head,
        filesChanged: 1,
      });
      expect(boxes[0].workspace!.changes).toBeGreaterThanOrEqual(1);
      for (const idle of boxes.slice(1))
        expect(idle.workspace, `${idle.name} did nothing`).toMatchObject({
          changes: 0,
          filesChanged: 0,
        });
      expect(
        (await project.stack.outputs()).workspaces.value[boxes[0].name],
        "the workspaces output",
      ).toEqual(boxes[0].workspace);
      const preview = await project.stack.preview({ color: "never" });
      expect(preview.changeSummary, "an agent's progress is not drift").toEqual({ same: 7 });

      await run(boxes[1].sandboxId, `echo "work of agent 1" > ${boxes[1].mountPath}/agent1.txt`);
      await eventually("agent1.txt on agent 1's bookmark", () =>
        remoteText(mesa, repoName, "agent1.txt", "agents/agents-sandbox-1"),
      );
      const drift = await project.stack.preview({ color: "never", refresh: true });
      expect(drift.changeSummary, "nor in a drift preview").toEqual({ same: 7 });
    },
  );

  step("updates metadata in place", async () => {
    project.writeProgram(program({ metadata: { team: "platform" } }));
    const result = await up();
    expect(result.summary.resourceChanges).toMatchObject({ update: 3, same: 4 });
    expect((await sandboxesOf()).map((b) => b.sandboxId)).toEqual(firstIds);
    for (const s of await liveSandboxes()) expect(s.metadata.team).toBe("platform");
  });

  step(
    "refresh sees a killed sandbox as gone, a paused one as drift (still paused) and a stopped mount as drift; up repairs",
    async () => {
      const [killed, paused, stopped] = firstIds;
      await Sandbox.killById(killed, conn());
      await (await Sandbox.connect(paused, conn())).pause();
      await run(stopped, 'kill -TERM "$(cat /home/user/.local/state/mesa/run/mesa.pid)"; sleep 1');

      const refresh = await project.stack.refresh({ color: "never" });
      expect(refresh.summary.result, refresh.stderr).toBe("succeeded");
      expect(await sandboxState(0), "the killed sandbox left the state").toBeUndefined();
      expect(await sandboxState(1), "a paused sandbox's mount cannot be checked").toMatchObject({
        status: "paused",
        mounted: false,
      });
      expect((await sandboxState(2))?.mounted).toBe(false);
      expect(
        (await liveSandboxes()).find((s) => s.id === paused)?.status,
        "refresh did not resume the paused sandbox",
      ).toBe("paused");

      const result = await up();
      expect(
        result.summary.resourceChanges,
        "up recreates the killed one, checks the paused one's mount and remounts the stopped one",
      ).toMatchObject({ create: 1, update: 2 });
      const boxes = await sandboxesOf();
      expect(
        (await run(boxes[0].sandboxId, `cat ${boxes[0].mountPath}/agent0.txt`)).stdout,
        "the new sandbox continues agent 0's bookmark",
      ).toBe("work of agent 0\n");
      expect(
        await sandboxState(1),
        "up resumed the paused sandbox; its mount survived the pause",
      ).toMatchObject({ status: "active", mounted: true });
      expect((await sandboxState(2))?.mounted).toBe(true);
      firstIds = boxes.map((b) => b.sandboxId);
    },
  );

  step("renews a token near its expiry and remounts", async () => {
    project.writeProgram(program({ metadata: { team: "platform" }, ttl: TOKEN_TTL_SECONDS }));
    await up();
    const before = (await sandboxState(0))!.tokenExpiresAt as string;
    const fresh = await project.stack.preview({ color: "never" });
    expect(fresh.changeSummary, "a fresh token is not renewed").toEqual({ same: 7 });
    // The providers' clock moved to 30 s before the token's expiry, inside the last 10 % of its
    // lifetime, instead of waiting for it.
    const offset = Math.ceil((Date.parse(before) - Date.now()) / 1000) - 30;
    project.setEnv(CLOCK_OFFSET_VARIABLE, String(offset));
    try {
      const preview = await project.stack.preview({ color: "never" });
      expect(preview.changeSummary, "renewal is planned as an update").toMatchObject({ update: 3 });
      await up();
    } finally {
      project.setEnv(CLOCK_OFFSET_VARIABLE, undefined);
    }
    const after = (await sandboxState(0))!.tokenExpiresAt as string;
    expect(Date.parse(after), "a new token was signed").toBeGreaterThan(Date.parse(before));
    expect((await sandboxState(0))!.mounted).toBe(true);
  });

  step(
    "replaces the sandboxes when the template changes, keeping the work on their bookmarks",
    async () => {
      project.writeProgram(program({ metadata: { team: "platform" }, version: "v2" }));
      const result = await up();
      expect(result.summary.resourceChanges).toMatchObject({ replace: 4 });
      const boxes = await sandboxesOf();
      for (const id of boxes.map((b) => b.sandboxId))
        expect(firstIds, "new sandboxes").not.toContain(id);
      expect((await run(boxes[0].sandboxId, "cat /etc/agent-version")).stdout.trim()).toBe("v2");
      expect((await run(boxes[0].sandboxId, `cat ${boxes[0].mountPath}/agent0.txt`)).stdout).toBe(
        "work of agent 0\n",
      );
      expect((await liveSandboxes()).map((s) => s.id).sort(), "the old sandboxes are gone").toEqual(
        boxes.map((b) => b.sandboxId).sort(),
      );
    },
  );

  step("converges after an up killed mid-create, with nothing orphaned", async () => {
    project.writeProgram(program({ metadata: { team: "platform" }, version: "v2", count: 4 }));
    const child = project.spawnPulumi(["up", "--yes", "--skip-preview"]);
    await eventually(
      "the 4th sandbox being created",
      async () =>
        (await liveSandboxes()).some((s) =>
          s.metadata["pulumi-urn"].endsWith("::agents-sandbox-3"),
        ),
      60_000,
    );
    await project.killPulumi(child);
    const result = await up();
    expect(result.summary.result).toBe("succeeded");
    const fourth = (await liveSandboxes()).filter((s) =>
      s.metadata["pulumi-urn"].endsWith("::agents-sandbox-3"),
    );
    expect(fourth, "exactly one 4th sandbox").toHaveLength(1);
    expect((await sandboxesOf()).map((b) => b.sandboxId)).toContain(fourth[0].id);
    expect((await liveSandboxes()).length, "no orphans").toBe(4);
  });

  step(
    "destroys everything but the repo and its bookmarks; the state holds no key or token in plaintext",
    async () => {
      // exportStack() decrypts secrets: the keys and tokens must not be stored even encrypted.
      const exported = JSON.stringify(await project.stack.exportStack());
      const jwt = /eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\./;
      for (const secret of [backends.mesa.apiKey, backends.superserve.apiKey, jwt]) {
        expect(
          typeof secret === "string" ? exported.includes(secret) : secret.test(exported),
          `${secret} in stack export`,
        ).toBe(false);
        expect(project.stateFilesContaining(secret), `state files containing ${secret}`).toEqual(
          [],
        );
      }
      const result = await project.stack.destroy({ color: "never" });
      expect(result.summary.result, result.stderr).toBe("succeeded");
      expect(await liveSandboxes(), "nothing left running").toEqual([]);
      for (let i = 0; i < 4; i++) {
        await expect(
          mesa.bookmarks.get({ repo: repoName, bookmark: `agents/agents-sandbox-${i}` }),
          `bookmark of sandbox ${i} kept`,
        ).resolves.toBeDefined();
      }
      expect(await remoteText(mesa, repoName, "agent0.txt", "agents/agents-sandbox-0")).toBe(
        "work of agent 0\n",
      );
    },
  );
});
