/**
 * `pulumi import` through the provider plugin and the real engine, by the ids the README
 * documents: a Mesa repo (`<org>/<name>`) and a Superserve template (its name) made with the
 * vendors' SDKs on the local backends. The `up` of a program declaring them as imported plans no
 * change; a later change of a template input Superserve does not report (its steps) plans a
 * replacement. A MountedSandbox cannot be imported yet: the import fails naming `adopt`.
 */
import type { Mesa } from "@mesadev/sdk" with { "resolution-mode": "import" };
import { Sandbox, Template } from "@superserve/sdk";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { startLocalMesa, type LocalMesa } from "../../local/mesa";
import { startLocalSuperserve, type LocalSuperserve } from "../../local/superserve";
import { seedRepo } from "../helpers/mesa-repos";
import { createTempProject, type TempProject } from "../helpers/pulumi";
import { dependentSteps } from "../helpers/steps";

let mesaServer: LocalMesa;
let ss: LocalSuperserve;
let mesa: Mesa;
let project: TempProject;
const dirs: string[] = [];
const suffix = randomUUID().slice(0, 6);
const repoName = `imported-${suffix}`;
const templateName = `imported-${suffix}`;

function program(step = "echo imported"): string {
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
`;
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

function mkTemp(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

beforeAll(async () => {
  mesaServer = await startLocalMesa({ port: 0, dataDir: mkTemp("psm-e2e-mesa-") });
  ss = await startLocalSuperserve({
    port: 0,
    dataDir: mkTemp("psm-e2e-ss-"),
    mesaUrl: mesaServer.url,
  });
  const sdk = await import("@mesadev/sdk");
  mesa = new sdk.Mesa({ apiKey: mesaServer.apiKey, apiUrl: mesaServer.url, org: mesaServer.org });
  await seedRepo(mesa, repoName, { "README.md": "made with the Mesa SDK\n" });
  await mesa.repos.update({ repo: repoName, tags: { team: "platform" } });
  const template = await Template.create({
    apiKey: ss.apiKey,
    baseUrl: ss.url,
    name: templateName,
    from: "debian:12",
    steps: [{ run: "echo imported" }],
  });
  await template.waitUntilReady({ pollIntervalMs: 100 });
  project = await createTempProject({
    name: `import-${suffix}`,
    runtime: "yaml",
    program: "",
    env: {
      MESA_API_KEY: mesaServer.apiKey,
      MESA_API_URL: mesaServer.url,
      SUPERSERVE_API_KEY: ss.apiKey,
      SUPERSERVE_BASE_URL: ss.url,
    },
  });
}, 300_000);

afterAll(async () => {
  await project?.runPulumi(["state", "unprotect", "--all", "--yes"]).catch(() => undefined);
  await project?.dispose().catch(() => undefined);
  await ss?.stop();
  await mesaServer?.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}, 300_000);

describe("pulumi import through the provider plugin", () => {
  const step = dependentSteps();

  step("imports the repo by <org>/<name> and the template by name", async () => {
    const repoOut = await project.runPulumi([
      "import",
      "superserve-mesa:index:MesaRepo",
      "repo",
      `${mesaServer.org}/${repoName}`,
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
    const resources = (
      (await project.stack.exportStack()).deployment as {
        resources: Array<{ type: string; id?: string; outputs?: Record<string, unknown> }>;
      }
    ).resources;
    const repo = resources.find((r) => r.type === "superserve-mesa:index:MesaRepo");
    expect(repo?.outputs?.headChangeId, "the repo's head, read from Mesa").toMatch(/^[a-z]{32}$/);
    expect(repo?.outputs?.headChangeId).not.toBe("z".repeat(32));
    const template = resources.find((r) => r.type === "superserve-mesa:index:SuperserveTemplate");
    const live = await Template.connect(templateName, { apiKey: ss.apiKey, baseUrl: ss.url });
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

  step("a MountedSandbox import fails, naming adopt", async () => {
    const sandbox = await Sandbox.create({
      apiKey: ss.apiKey,
      baseUrl: ss.url,
      name: `imported-${suffix}`,
      fromTemplate: templateName,
    });
    try {
      const run = await pulumiOutput([
        "import",
        "superserve-mesa:index:MountedSandbox",
        "box",
        sandbox.id,
        "--yes",
        "--color",
        "never",
      ]);
      expect(run.code).not.toBe(0);
      expect(run.output).toContain(
        "MountedSandbox cannot be imported; take the object over with `adopt`",
      );
    } finally {
      await Sandbox.killById(sandbox.id, { apiKey: ss.apiKey, baseUrl: ss.url });
    }
  });
});
