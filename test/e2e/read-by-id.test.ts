/**
 * `MesaRepo.get`, `SuperserveTemplate.get` and `MountedSandbox.get` through the real engine, on
 * objects made with the vendors' SDKs outside Pulumi. On an `@pulumi/pulumi` that reads dynamic
 * resources by id (3.268 and later: the current runtime's pass of `npm test`) the stack reads them,
 * exports what the services report, and never changes or deletes them; on an older one (the
 * minimum's pass) the program fails with the error that says what to upgrade.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Mesa } from "@mesadev/sdk" with { "resolution-mode": "import" };
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalMesa, type LocalMesa } from "../../local/mesa";
import { startLocalSuperserve, type LocalSuperserve } from "../../local/superserve";
import { superserveSdk } from "../../provider/clients";
import { READ_BY_ID_SINCE, versionAtLeast } from "../../provider/dynamic";
import { credentialVariables } from "../helpers/credentials";
import { createTempProject, sdkVersion, type TempProject } from "../helpers/pulumi";

const suffix = randomUUID().slice(0, 6);
let mesaServer: LocalMesa;
let ss: LocalSuperserve;
let mesa: Mesa;
let project: TempProject;
let dataDir: string;
const made = { repoId: "", repoName: `shared-${suffix}`, templateId: "", sandboxId: "" };
const conn = () => ({ apiKey: ss.apiKey, baseUrl: ss.url });

const program = (ids: { repo: string; template: string; sandbox: string }) => `
import { MesaRepo, MountedSandbox, SuperserveTemplate } from "pulumi-superserve-mesa";
const repo = MesaRepo.get("shared", ${JSON.stringify(ids.repo)});
const template = SuperserveTemplate.get("base", ${JSON.stringify(ids.template)});
const box = MountedSandbox.get("box", ${JSON.stringify(ids.sandbox)});
export const repoName = repo.name;
export const repoOrg = repo.org;
export const repoHead = repo.headChangeId;
export const repoTags = repo.tags;
export const templateName = template.name;
export const templateStatus = template.status;
export const sandboxId = box.sandboxId;
export const sandboxName = box.name;
export const sandboxStatus = box.status;
export const sandboxMounted = box.mounted;
`;

beforeAll(async () => {
  mesaServer = await startLocalMesa({ port: 0 });
  dataDir = mkdtempSync(join(tmpdir(), "psm-e2e-get-"));
  ss = await startLocalSuperserve({ port: 0, dataDir });
  const sdk = await import("@mesadev/sdk");
  mesa = new sdk.Mesa({ apiKey: mesaServer.apiKey, apiUrl: mesaServer.url, org: mesaServer.org });
  made.repoId = (await mesa.repos.create({ name: made.repoName, tags: { team: "shared" } })).id;
  const { Template, Sandbox } = superserveSdk();
  const template = await Template.create({
    ...conn(),
    name: `base-${suffix}`,
    from: "debian:12",
    steps: [{ run: "true" }],
  });
  await template.waitUntilReady({ pollIntervalMs: 100 });
  made.templateId = template.id;
  const sandbox = await Sandbox.create({
    ...conn(),
    name: `box-${suffix}`,
    fromTemplate: template.name,
    metadata: { owner: "another-team" },
  });
  made.sandboxId = sandbox.id;
  project = await createTempProject({
    name: `get-${suffix}`,
    program: program({ repo: made.repoId, template: made.templateId, sandbox: made.sandboxId }),
    env: credentialVariables({ mesa: mesaServer, superserve: ss }),
  });
});

afterAll(async () => {
  await project?.dispose();
  await ss?.stop();
  await mesaServer?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** What the services hold now, for the "never changed, never deleted" checks. */
async function liveObjects() {
  const { Template, Sandbox } = superserveSdk();
  const repo = await mesa.repos.get({ repo: made.repoName });
  const templates = await Template.list(conn());
  const sandboxes = await Sandbox.list(conn());
  return {
    repo: { id: repo.id, tags: repo.tags },
    template: templates.find((t) => t.id === made.templateId)?.name,
    sandbox: sandboxes.find((s) => s.id === made.sandboxId)?.metadata,
  };
}

// One set of tests or the other, by the runtime's @pulumi/pulumi: neither is skipped.
if (versionAtLeast(sdkVersion(), READ_BY_ID_SINCE)) {
  describe(`get by id, @pulumi/pulumi ${sdkVersion()}`, () => {
    it("reads the repo, the template and the sandbox, and changes none of them", async () => {
      const before = await liveObjects();
      const up = await project.stack.up({ color: "never" });
      const out = Object.fromEntries(Object.entries(up.outputs).map(([k, v]) => [k, v.value]));
      expect(out).toMatchObject({
        repoName: made.repoName,
        repoOrg: mesaServer.org,
        repoHead: expect.any(String),
        repoTags: { team: "shared" },
        templateName: `base-${suffix}`,
        templateStatus: "ready",
        sandboxId: made.sandboxId,
        sandboxName: `box-${suffix}`,
        sandboxStatus: "active",
        sandboxMounted: false,
      });
      expect(
        up.summary.resourceChanges,
        "only the stack is created (the engine counts no reads)",
      ).toEqual({
        create: 1,
      });
      expect(await liveObjects(), "the services' objects are unchanged").toEqual(before);
    });

    it("a second up reads them again and changes nothing", async () => {
      const up = await project.stack.up({ color: "never" });
      expect(up.summary.resourceChanges).not.toHaveProperty("create");
      expect(up.summary.resourceChanges).not.toHaveProperty("update");
      expect(up.outputs.repoName.value).toBe(made.repoName);
    });

    it("destroy leaves the objects read by id in place", async () => {
      const before = await liveObjects();
      await project.stack.destroy({ color: "never" });
      expect(await liveObjects()).toEqual(before);
    });

    it("an id that names nothing fails the run, naming the resource", async () => {
      project.writeProgram(
        program({ repo: "no-such-repo-id", template: made.templateId, sandbox: made.sandboxId }),
      );
      const failure = await project.stack.up({ color: "never" }).then(
        () => "the up succeeded",
        (err: Error) => err.message,
      );
      expect(failure).toMatch(/shared/);
      expect(failure).toMatch(/no-such-repo-id/);
    });
  });
} else {
  describe(`get by id, @pulumi/pulumi ${sdkVersion()}`, () => {
    it(`fails the program with an error asking for @pulumi/pulumi ${READ_BY_ID_SINCE} or newer`, async () => {
      const failure = await project.stack.up({ color: "never" }).then(
        () => "the up succeeded",
        (err: Error) => err.message,
      );
      expect(failure).toContain(
        `MesaRepo.get needs @pulumi/pulumi ${READ_BY_ID_SINCE} or newer, and this program loads ${sdkVersion()}`,
      );
      expect(failure).toContain("npm install @pulumi/pulumi@latest");
      expect(await liveObjects(), "nothing was touched").toMatchObject({
        repo: { id: made.repoId },
        template: `base-${suffix}`,
        sandbox: { owner: "another-team" },
      });
    });
  });
}
