/**
 * SuperserveTemplate through the real Pulumi engine against local Superserve: the API key comes
 * from secret stack config (decrypted only inside the provider process), the base URL from the
 * environment.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { startLocalSuperserve, type LocalSuperserve } from "../../local/superserve";
import { superserveSdk } from "../../provider/clients";
import { eventually } from "../helpers/eventually";
import { createTempProject, type TempProject } from "../helpers/pulumi";
import { dependentSteps } from "../helpers/steps";

let server: LocalSuperserve;
let project: TempProject;
let dataDir: string;

const TYPE = "pulumi-nodejs:dynamic/superserve-mesa:SuperserveTemplate";

const program = (
  resourceName: string,
  steps: string[],
) => `import { SuperserveTemplate } from "pulumi-superserve-mesa";
const template = new SuperserveTemplate(${JSON.stringify(resourceName)}, {
  from: "ubuntu:24.04",
  steps: ${JSON.stringify(steps.map((run) => ({ run })))},
  verboseBuildLogs: true,
});
export const name = template.name;
export const templateId = template.id;
export const status = template.status;
`;

const conn = () => ({ apiKey: server.apiKey, baseUrl: server.url });

async function templates(): Promise<{ id: string; name: string; status: string }[]> {
  return (await superserveSdk().Template.list(conn())).map((t) => ({
    id: t.id,
    name: t.name,
    status: t.status,
  }));
}

const namesStartingWith = async (prefix: string) =>
  (await templates()).filter((t) => t.name.startsWith(prefix)).map((t) => t.name);

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "psm-e2e-ss-"));
  server = await startLocalSuperserve({ port: 0, dataDir });
  project = await createTempProject({
    name: `template-${randomUUID().slice(0, 6)}`,
    program: program("agent-base", ["echo hello-from-build"]),
    config: { "pulumi-superserve-mesa:superserveApiKey": { value: server.apiKey, secret: true } },
    env: { SUPERSERVE_BASE_URL: server.url },
  });
});

afterAll(async () => {
  await project?.dispose();
  await server?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe("SuperserveTemplate through the real engine", () => {
  const step = dependentSteps();
  let firstName = "";

  step("up waits for the build and shows its progress; a second up changes nothing", async () => {
    const preview = await project.stack.preview({ color: "never" });
    expect(preview.stdout, "readable type in preview").toContain(TYPE);
    const up = await project.stack.up({ color: "never" });
    firstName = up.outputs.name.value;
    expect(firstName).toMatch(/^agent-base-[0-9a-f]{7}$/);
    expect(up.outputs.status.value, "up returned after the build finished").toBe("ready");
    expect(up.stdout, "build start is reported").toContain(`Building template ${firstName}`);
    expect(up.stdout, "build log lines are shown (verboseBuildLogs)").toContain(
      "build: hello-from-build",
    );
    expect(up.stdout, "build end is reported").toContain(`Template ${firstName} is ready`);
    expect(await templates()).toContainEqual(
      expect.objectContaining({
        name: firstName,
        status: "ready",
        id: up.outputs.templateId.value,
      }),
    );

    const again = await project.stack.up({ color: "never" });
    expect(again.summary.resourceChanges, "no-op up").toEqual({ same: 2 });
  });

  step(
    "a build input change replaces the template, creating the new one before deleting the old",
    async () => {
      project.writeProgram(program("agent-base", ["echo hello-from-build", "echo second-step"]));
      const ops: string[] = [];
      const onEvent = (e: EngineEvent) => {
        const meta = e.resourcePreEvent?.metadata;
        if (meta?.type === TYPE) ops.push(meta.op);
      };
      const up = await project.stack.up({ color: "never", onEvent });
      expect(up.summary.resourceChanges).toMatchObject({ replace: 1 });
      const secondName = up.outputs.name.value;
      expect(secondName, "a new autoname for the new build").not.toBe(firstName);
      expect(
        ops.indexOf("create-replacement"),
        `create before delete, got ${ops.join(", ")}`,
      ).toBeGreaterThanOrEqual(0);
      expect(ops.indexOf("create-replacement")).toBeLessThan(ops.indexOf("delete-replaced"));
      expect(await namesStartingWith("agent-base-"), "only the new template is left").toEqual([
        secondName,
      ]);
      firstName = secondName;
    },
  );

  step("refresh drops a template deleted out of band, and up builds it again", async () => {
    const [live] = (await templates()).filter((t) => t.name === firstName);
    await superserveSdk().Template.deleteById(live.id, conn());
    const refresh = await project.stack.refresh({ color: "never" });
    expect(refresh.summary.resourceChanges).toMatchObject({ delete: 1 });
    const exported = JSON.stringify(await project.stack.exportStack());
    expect(exported, "the template left the state").not.toContain(`"type":"${TYPE}"`);
    const up = await project.stack.up({ color: "never" });
    expect(up.summary.resourceChanges).toMatchObject({ create: 1 });
    expect(await namesStartingWith("agent-base-")).toEqual([up.outputs.name.value]);
  });

  step(
    "a failed build fails up with the vendor code and log tail, and leaves no template",
    async () => {
      const before = (await templates()).map((t) => t.name).sort();
      project.writeProgram(program("agent-base", ["echo failing-step-output", "exit 3"]));
      const err: unknown = await project.stack.up({ color: "never" }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, "up must fail").toBeInstanceOf(Error);
      const text = String(err);
      expect(text).toContain("failed to build (step_failed)");
      expect(text).toContain("Last build log lines");
      expect(text).toContain("failing-step-output");
      expect((await templates()).map((t) => t.name).sort(), "no orphaned template").toEqual(before);
      project.writeProgram(program("agent-base", ["echo hello-from-build", "echo second-step"]));
      const up = await project.stack.up({ color: "never" });
      expect(up.summary.resourceChanges, "the old template was kept").toEqual({ same: 2 });
    },
  );

  step("an up killed mid-build converges on the next up with exactly one template", async () => {
    project.writeProgram(
      program("agent-base", ["echo hello-from-build", "echo second-step"]) +
        program("interrupted", ["echo started", "sleep 6", "echo finished"])
          .replace(/^import .*\n/, "")
          .replace("const template", "const slow")
          .replace(/template\./g, "slow.")
          .replace(/export const (\w+)/g, "export const slow_$1"),
    );
    const child = project.spawnPulumi(["up", "--yes", "--skip-preview", "--non-interactive"]);
    let output = "";
    child.stdout!.on("data", (d) => (output += d));
    child.stderr!.on("data", (d) => (output += d));
    await eventually(
      "the interrupted template to be building",
      async () => (await namesStartingWith("interrupted-")).length > 0,
      60_000,
      250,
    );
    expect(
      (await templates()).find((t) => t.name.startsWith("interrupted-"))?.status,
      `killed mid-build; engine output so far:\n${output}`,
    ).toBe("building");
    await project.killPulumi(child);
    const up = await project.stack.up({ color: "never" });
    expect(up.outputs.slow_status.value).toBe("ready");
    expect(
      await namesStartingWith("interrupted-"),
      "exactly one template for the resource",
    ).toEqual([up.outputs.slow_name.value]);
    expect(up.stdout).toContain("created by an earlier interrupted attempt");
  });

  step("keeps the Superserve API key out of the state in plaintext", async () => {
    // The Automation API's exportStack() decrypts secrets (--show-secrets); the CLI's plain export does not.
    const exported = await project.runPulumi(["stack", "export"]);
    expect(exported).toContain(TYPE);
    expect(
      exported,
      "the key from secret config is stored encrypted (default provider inputs)",
    ).toContain('"ciphertext"');
    expect(exported).not.toContain(server.apiKey);
    expect(project.stateFilesContaining(server.apiKey), "state files with the API key").toEqual([]);
  });

  step("destroy deletes the templates, and no engine process outlives the runs", async () => {
    await project.stack.destroy({ color: "never" });
    expect(await namesStartingWith("agent-base-")).toEqual([]);
    expect(await namesStartingWith("interrupted-")).toEqual([]);
    await eventually(
      "the engine's processes to have exited",
      () => project.engineProcesses().length === 0,
      10_000,
      250,
    );
  });
});
