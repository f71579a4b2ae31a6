/**
 * `pulumi import` through the provider plugin and the real engine, by the ids the README
 * documents: a Mesa repo (`<org>/<name>`), a Superserve template (its name) and a sandbox (its id)
 * made with the vendors' SDKs on the local backends — the sandbox as the vendors' guide makes it:
 * a token signed with the Mesa SDK, `mesa mount -d` run in the sandbox with `MESA_ORG` and
 * `MESA_API_KEY` only. The `up` of a program declaring them as imported plans no change; the
 * sandbox's outputs show its mount (never its token), and a refresh reads it (an edit in it counted
 * in its workspace) as one the provider made; a later change of a template input
 * Superserve does not report (its steps) plans a replacement; a mount that died after the import
 * is remounted with a token the provider signs; destroy removes the sandbox. A SandboxCommand
 * cannot be imported: the import fails saying why and what to do instead.
 */
import { Sandbox, Template } from "@superserve/sdk";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { startLocalBackends, type LocalBackends } from "../helpers/local-backends";
import { eventually } from "../helpers/eventually";
import { remoteText, seedRepo } from "../helpers/mesa-repos";
import { createTempProject, type TempProject } from "../helpers/pulumi";
import { dependentSteps } from "../helpers/steps";

let backends: LocalBackends;
let project: TempProject;
const suffix = randomUUID().slice(0, 6);
const repoName = `imported-${suffix}`;
const templateName = `imported-${suffix}`;
const boxName = `imported-box-${suffix}`;
/** The mesa CLI's PID file in the sandbox (HOME is /home/user). */
const PID_FILE = "/home/user/.local/state/mesa/run/mesa.pid";

function program(step = "echo imported", withBox = false): string {
  const box = `  box:
    type: superserve-mesa:index:MountedSandbox
    properties:
      name: ${boxName}
      template: ${templateName}
      metadata:
        team: platform
      repos:
        - repo: ${repoName}
          fork: false
    options:
      protect: true
`;
  return `resources:
  repo:
    type: superserve-mesa:index:MesaRepo
    properties:
      name: ${repoName}
      tags:
        team: platform
    options:
      protect: true
  template:
    type: superserve-mesa:index:SuperserveTemplate
    properties:
      name: ${templateName}
      from: debian:12
      steps:
        - run: ${step}
    options:
      protect: true
${withBox ? box : ""}`;
}

/** A `pulumi` run's exit code and everything it printed (stdout and stderr). */
async function pulumiOutput(args: string[]): Promise<{ code: number | null; output: string }> {
  const child = project.spawnPulumi(args);
  let output = "";
  child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
  return { code, output };
}

type StateResource = { type: string; id?: string; outputs?: Record<string, any> };

async function resources(): Promise<StateResource[]> {
  return ((await project.stack.exportStack()).deployment as { resources: StateResource[] })
    .resources;
}

async function boxState(): Promise<StateResource | undefined> {
  return (await resources()).find((r) => r.type === "superserve-mesa:index:MountedSandbox");
}

async function run(id: string, cmd: string, env?: Record<string, string>) {
  return (await Sandbox.connect(id, backends.conn())).commands.run(cmd, {
    env,
    timeoutMs: 60_000,
  });
}

beforeAll(async () => {
  backends = await startLocalBackends({ mesaCli: true });
  const mesa = backends.mesaClient;
  await seedRepo(mesa, repoName, { "README.md": "made with the Mesa SDK\n" });
  await mesa.repos.update({ repo: repoName, tags: { team: "platform" } });
  const template = await Template.create({
    ...backends.conn(),
    name: templateName,
    from: "debian:12",
    steps: [{ run: "echo imported" }],
  });
  await template.waitUntilReady({ pollIntervalMs: 100 });
  project = await createTempProject({
    name: `import-${suffix}`,
    runtime: "yaml",
    program: "",
    env: backends.env(),
  });
}, 300_000);

afterAll(async () => {
  await project?.runPulumi(["state", "unprotect", "--all", "--yes"]).catch(() => undefined);
  await project?.dispose().catch(() => undefined);
  await backends?.close();
}, 300_000);

describe("pulumi import through the provider plugin", () => {
  const step = dependentSteps();

  step("imports the repo by <org>/<name> and the template by name", async () => {
    const repoOut = await project.runPulumi([
      "import",
      "superserve-mesa:index:MesaRepo",
      "repo",
      `${backends.mesa.org}/${repoName}`,
      "--yes",
      "--color",
      "never",
    ]);
    expect(repoOut, "the generated code names the repo and its tags").toMatch(
      new RegExp(`name: ${repoName}[\\s\\S]*team: platform`),
    );
    const templateOut = await project.runPulumi([
      "import",
      "superserve-mesa:index:SuperserveTemplate",
      "template",
      templateName,
      "--yes",
      "--color",
      "never",
    ]);
    expect(templateOut).not.toContain("failed to validate");
    const state = await resources();
    const repo = state.find((r) => r.type === "superserve-mesa:index:MesaRepo");
    expect(repo?.outputs?.headChangeId, "the repo's head, read from Mesa").toMatch(/^[a-z]{32}$/);
    expect(repo?.outputs?.headChangeId).not.toBe("z".repeat(32));
    const template = state.find((r) => r.type === "superserve-mesa:index:SuperserveTemplate");
    const live = await Template.connect(templateName, backends.conn());
    expect(template?.id, "the template's id").toBe(live.id);
    expect(template?.outputs?.status).toBe("ready");
  });

  step("the program declaring them plans no change, and its up changes nothing", async () => {
    project.writeProgram(program());
    const preview = await project.stack.preview({ color: "never", expectNoChanges: true });
    expect(preview.changeSummary, preview.stdout).toEqual({ same: 3 });
    const up = await project.stack.up({ color: "never" });
    expect(up.summary.resourceChanges, up.stdout).toEqual({ same: 3 });
  });

  step("a later change of the template's steps plans its replacement", async () => {
    project.writeProgram(program("echo changed"));
    const preview = await project
      .runPulumi(["preview", "--diff", "--color", "never"])
      .catch((err: Error) => err.message);
    // The template is protected, as `pulumi import` marks it: the planned replacement is refused.
    expect(preview).toMatch(
      /unable to replace resource "[^"]*superserve-mesa:index:SuperserveTemplate::template"/,
    );
    project.writeProgram(program());
  });

  let sandboxId = "";
  let userToken = "";

  step("imports a sandbox mounted with the vendors' SDKs by its id, with its mount", async () => {
    const org = backends.mesa.org;
    userToken = (
      await backends.mesaClient.tokens.create({
        scopes: ["read", "write"],
        repos: [`${org}/${repoName}`],
        ttl_seconds: 3600,
      })
    ).token;
    const sandbox = await Sandbox.create({
      ...backends.conn(),
      name: boxName,
      fromTemplate: templateName,
      metadata: { team: "platform" },
    });
    sandboxId = sandbox.id;
    const mount = await run(sandboxId, "mesa mount -d", { MESA_ORG: org, MESA_API_KEY: userToken });
    expect(mount.exitCode, mount.stderr).toBe(0);
    const mountPath = `/home/user/.local/share/mesa/mnt/${org}/${repoName}`;
    const served = await run(sandboxId, `cat ${mountPath}/README.md`);
    expect(served.stdout, "the mount serves the repo").toBe("made with the Mesa SDK\n");

    const imported = await project.runPulumi([
      "import",
      "superserve-mesa:index:MountedSandbox",
      "box",
      sandboxId,
      "--yes",
      "--color",
      "never",
    ]);
    for (const line of [`name: ${boxName}`, `repo: ${repoName}`, "fork: false"])
      expect(imported, "the generated code mounts the repo as it is").toContain(line);
    const box = await boxState();
    expect(box?.id).toBe(sandboxId);
    const head = (await backends.mesaClient.bookmarks.get({ repo: repoName, bookmark: "main" }))
      .change_id;
    expect(box?.outputs, "the outputs show the mount found in the sandbox").toMatchObject({
      sandboxId,
      name: boxName,
      status: "active",
      mounted: true,
      org,
      mountPaths: { [repoName]: mountPath },
      mountPath,
      bookmarks: { [repoName]: "main" },
      workspace: { [repoName]: { bookmark: "main", headChangeId: head, changes: 0 } },
      tokenExpiresAt: "",
      metadata: { team: "platform" },
    });
    const deployment = JSON.stringify(await project.stack.exportStack());
    expect(deployment.includes(userToken), "the user's token is nowhere in the state").toBe(false);
  });

  step(
    "the program describing the sandbox plans no change, and its up changes nothing",
    async () => {
      project.writeProgram(program("echo imported", true));
      const preview = await project.stack.preview({ color: "never", expectNoChanges: true });
      expect(preview.changeSummary, preview.stdout).toEqual({ same: 4 });
      const up = await project.stack.up({ color: "never" });
      expect(up.summary.resourceChanges, up.stdout).toEqual({ same: 4 });
      expect((await boxState())?.outputs?.tokenExpiresAt, "the user's token is left alone").toBe(
        "",
      );
    },
  );

  step("a refresh reads the imported mount like one the provider made", async () => {
    const mountPath = (await boxState())?.outputs?.mountPath as string;
    const write = await run(sandboxId, `echo "the agent's note" > ${mountPath}/NOTE.md`);
    expect(write.exitCode, write.stderr).toBe(0);
    await eventually(
      "the edit in the imported mount on main in Mesa",
      () => remoteText(backends.mesaClient, repoName, "NOTE.md"),
      20_000,
      250,
    );
    const refreshed = await project.stack.refresh({ color: "never" });
    expect(refreshed.summary.result, refreshed.stderr).toBe("succeeded");
    expect((await boxState())?.outputs, "still mounted; the edit counted").toMatchObject({
      mounted: true,
      workspace: { [repoName]: { bookmark: "main", changes: 1, filesChanged: 1 } },
    });
    const preview = await project.stack.preview({ color: "never", expectNoChanges: true });
    expect(preview.changeSummary, preview.stdout).toEqual({ same: 4 });
  });

  step(
    "a mount that died after the import is remounted with a token of the provider's",
    async () => {
      const kill = await run(sandboxId, `kill -KILL "$(cat ${PID_FILE})"`);
      expect(kill.exitCode, kill.stderr).toBe(0);
      const refreshed = await project.stack.refresh({ color: "never" });
      expect(refreshed.summary.result, refreshed.stderr).toBe("succeeded");
      expect((await boxState())?.outputs?.mounted, "refresh sees the dead mount").toBe(false);
      const up = await project.stack.up({ color: "never" });
      expect(up.summary.resourceChanges, up.stdout).toEqual({ same: 3, update: 1 });
      const outputs = (await boxState())?.outputs;
      expect(outputs?.mounted).toBe(true);
      expect(Date.parse(outputs?.tokenExpiresAt), "a token the provider signed").toBeGreaterThan(
        Date.now(),
      );
      const served = await run(sandboxId, `cat ${outputs?.mountPath}/README.md`);
      expect(served.stdout, "the remount serves the repo").toBe("made with the Mesa SDK\n");
    },
  );

  step("a SandboxCommand import fails saying why, without suggesting adopt", async () => {
    const attempt = await pulumiOutput([
      "import",
      "superserve-mesa:index:SandboxCommand",
      "agent",
      `${sandboxId}/agent`,
      "--yes",
      "--color",
      "never",
    ]);
    expect(attempt.code).not.toBe(0);
    expect(attempt.output).toContain("SandboxCommand cannot be imported");
    expect(attempt.output).toContain("Declare it in the program instead");
    expect(attempt.output).not.toContain("adopt");
  });

  step("destroy removes the imported sandbox", async () => {
    await project.runPulumi(["state", "unprotect", "--all", "--yes"]);
    const destroyed = await project.stack.destroy({ color: "never" });
    expect(destroyed.summary.result, destroyed.stderr).toBe("succeeded");
    const left = (await Sandbox.list(backends.conn())).find((s) => s.id === sandboxId);
    expect(left, "the sandbox is gone").toBeUndefined();
  });

  step("a paused sandbox is imported without resuming it, and the log says so", async () => {
    const sandbox = await Sandbox.create({
      ...backends.conn(),
      name: `paused-${suffix}`,
      fromTemplate: "superserve/base",
    });
    await sandbox.pause();
    const imported = await pulumiOutput([
      "import",
      "superserve-mesa:index:MountedSandbox",
      "paused",
      sandbox.id,
      "--yes",
      "--color",
      "never",
    ]);
    expect(imported.code, imported.output).toBe(0);
    expect(imported.output).toContain("the import does not resume it");
    expect((await boxState())?.outputs).toMatchObject({ status: "paused", mounted: false });
    const live = (await Sandbox.list(backends.conn())).find((s) => s.id === sandbox.id);
    expect(live?.status, "still paused").toBe("paused");
  });
});
