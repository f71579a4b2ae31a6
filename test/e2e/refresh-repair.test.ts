/**
 * `pulumi up --refresh` repairs what the refresh finds, through the real engine, with the local
 * backends run as a user runs them (`npm run local -- start|stop`, found by the providers through
 * their endpoints file): a mount daemon killed inside a sandbox, and a stop/start of the local
 * backends, are repaired by a plain `pulumi up --refresh` (an edit in the mount then reaches
 * Mesa); `pulumi preview --refresh` does not resume a paused sandbox. The backends bind port 0 at
 * every start (new ports after the restart): the test reads them back from what `start` prints,
 * the providers from the endpoints file.
 */
import { Sandbox } from "@superserve/sdk";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { eventually } from "../helpers/eventually";
import { localCommand, type LocalCommand } from "../helpers/local-command";
import { remoteText } from "../helpers/mesa-repos";
import { uniqueName } from "../helpers/names";
import { createTempProject, type TempProject } from "../helpers/pulumi";
import { dependentSteps } from "../helpers/steps";

const repoName = uniqueName("repair");
let local: LocalCommand;
let project: TempProject;

const conn = () => local.conn();

type SandboxOut = { name: string; sandboxId: string; bookmark: string; mountPath: string };

async function sandboxesOf(): Promise<SandboxOut[]> {
  return (await project.stack.outputs()).sandboxes.value as SandboxOut[];
}

async function stateOf(sandboxId: string): Promise<Record<string, any> | undefined> {
  const resources =
    ((await project.stack.exportStack()).deployment as { resources?: any[] }).resources ?? [];
  return resources.find((r) => r.outputs?.sandboxId === sandboxId)?.outputs;
}

async function liveStatus(id: string): Promise<string | undefined> {
  return (await Sandbox.list(conn())).find((s) => s.id === id)?.status;
}

async function run(id: string, cmd: string) {
  return (await Sandbox.connect(id, conn())).commands.run(cmd, { timeoutMs: 30_000 });
}

async function upWithRefresh() {
  const result = await project.stack.up({ color: "never", refresh: true });
  expect(result.summary.result, result.stderr).toBe("succeeded");
  return result;
}

/** Write a file in the sandbox's mount and wait for it on the sandbox's bookmark in Mesa. */
async function editReachesMesa(box: SandboxOut, text: string): Promise<void> {
  const file = `${uniqueName("edit")}.txt`;
  const write = await run(box.sandboxId, `echo ${JSON.stringify(text)} > ${box.mountPath}/${file}`);
  expect(write.exitCode, write.stderr).toBe(0);
  expect(
    await eventually(
      `${file} on ${box.bookmark}`,
      () => remoteText(local.mesaClient, repoName, file, box.bookmark),
      20_000,
      250,
    ),
  ).toBe(`${text}\n`);
}

beforeAll(async () => {
  local = localCommand("psm-repair-local-");
  await local.start();
  project = await createTempProject({
    name: uniqueName("repair"),
    program: `import { AgentEnvironment } from "pulumi-superserve-mesa";

const env = new AgentEnvironment("agents", {
  // The test's edits on the forks are not work to keep: destroy may delete the repo with them.
  repo: { name: ${JSON.stringify(repoName)}, forceDestroy: true },
  template: { from: "debian:12", steps: [{ run: "echo repair > /etc/agent-version" }] },
  sandboxes: { count: 2 },
  protectRepo: false,
});
export const sandboxes = env.sandboxes;
`,
    env: { PSM_LOCAL_DIR: local.dir },
  });
}, 300_000);

afterAll(async () => {
  try {
    await project?.dispose();
  } finally {
    await local?.close();
  }
}, 300_000);

describe("pulumi up --refresh repairs dead mounts", () => {
  const step = dependentSteps();
  let boxes: SandboxOut[] = [];

  step("deploys two mounted sandboxes", async () => {
    await upWithRefresh();
    boxes = await sandboxesOf();
    expect(boxes).toHaveLength(2);
    for (const box of boxes)
      expect((await stateOf(box.sandboxId))?.mounted, `${box.name} mounted`).toBe(true);
  });

  step("remounts a sandbox whose mount daemon was killed", async () => {
    const [box] = boxes;
    await run(box.sandboxId, 'kill -KILL "$(cat /home/user/.local/state/mesa/run/mesa.pid)"');
    const result = await upWithRefresh();
    expect(result.summary.resourceChanges, "the dead mount planned as an update").toMatchObject({
      update: 1,
    });
    expect(await stateOf(box.sandboxId)).toMatchObject({ status: "active", mounted: true });
    await editReachesMesa(box, "after the daemon died");
  });

  step("pulumi preview --refresh does not resume a paused sandbox", async () => {
    const box = boxes[1];
    await (await Sandbox.connect(box.sandboxId, conn())).pause();
    const preview = await project.stack.preview({ color: "never", refresh: true });
    expect(preview.changeSummary, "the unverifiable mount is planned as an update").toMatchObject({
      update: 1,
    });
    expect(await liveStatus(box.sandboxId), "the preview did not resume it").toBe("paused");
  });

  step(
    "after the local backends are stopped and started, pulumi up --refresh brings every sandbox back mounted",
    async () => {
      await local.stop();
      await local.start();
      await upWithRefresh();
      for (const box of boxes) {
        expect(await stateOf(box.sandboxId), `${box.name} after the restart`).toMatchObject({
          status: "active",
          mounted: true,
        });
        await editReachesMesa(box, `${box.name} after the restart`);
      }
      const again = await upWithRefresh();
      expect(again.summary.resourceChanges, "converged: nothing left to repair").not.toHaveProperty(
        "update",
      );
    },
  );
});
