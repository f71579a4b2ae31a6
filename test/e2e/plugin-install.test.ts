/**
 * The provider plugin installed as a user without this repository installs it: the tarball of
 * `npm run build:plugin` (scripts/build-plugin.sh) given to `pulumi plugin install resource
 * superserve-mesa <version> --file`, into the project's own PULUMI_HOME, with the plugin's
 * directory off PATH. A Pulumi YAML program then finds it there: preview and up create a Mesa repo
 * on a local Mesa with the credentials of the stack config in the plugin's namespace (the API key
 * secret, encrypted in the state), a second preview plans no change, destroy deletes the repo. A
 * Python program finds it the same way, and its explicit provider takes the credentials as
 * arguments (the schema's provider inputs: the API key secret, so encrypted in the state).
 */
import type { Mesa } from "@mesadev/sdk" with { "resolution-mode": "import" };
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { startLocalMesa, type LocalMesa } from "../../local/mesa";
import { createTempProject, repoRoot, type TempProject } from "../helpers/pulumi";
import { dependentSteps } from "../helpers/steps";

let mesaServer: LocalMesa;
let mesa: Mesa;
let tarball: string;
const dirs: string[] = [];
const suffix = randomUUID().slice(0, 6);
const repoName = `installed-${suffix}`;
const { version } = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
  version: string;
};

beforeAll(async () => {
  const out = mkdtempSync(join(tmpdir(), "psm-plugin-tarball-"));
  dirs.push(out);
  const build = await promisify(execFile)(
    "bash",
    [join(repoRoot, "scripts/build-plugin.sh"), out],
    {
      encoding: "utf8",
    },
  );
  tarball = build.stdout.trim().split("\n").pop()!;
  const mesaData = mkdtempSync(join(tmpdir(), "psm-e2e-mesa-"));
  dirs.push(mesaData);
  mesaServer = await startLocalMesa({ port: 0, dataDir: mesaData });
  const sdk = await import("@mesadev/sdk");
  mesa = new sdk.Mesa({ apiKey: mesaServer.apiKey, apiUrl: mesaServer.url, org: mesaServer.org });
}, 600_000);

afterAll(async () => {
  await mesaServer?.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** `pulumi plugin install resource superserve-mesa <version> --file <tarball>` in the project. */
async function installPlugin(project: TempProject): Promise<void> {
  await project.runPulumi([
    "plugin",
    "install",
    "resource",
    "superserve-mesa",
    version,
    "--file",
    tarball,
  ]);
  const installed = join(
    project.env.PULUMI_HOME,
    "plugins",
    `resource-superserve-mesa-v${version}`,
    "pulumi-resource-superserve-mesa",
  );
  expect(existsSync(installed), `${installed} exists`).toBe(true);
  expect(project.env.PATH.split(":")).not.toContain(join(repoRoot, "plugin", "bin"));
}

describe("the provider plugin installed with `pulumi plugin install --file`, in YAML", () => {
  const step = dependentSteps();
  let project: TempProject;

  step(
    "a YAML program without the plugin on PATH or installed fails to preview, naming the plugin",
    async () => {
      project = await createTempProject({
        name: `installed-${suffix}`,
        runtime: "yaml",
        pluginOnPath: false,
        program: `resources:
  workspace:
    type: superserve-mesa:index:MesaRepo
    properties:
      name: ${repoName}
      forceDestroy: true
outputs:
  repo: \${workspace.org}/\${workspace.name}
`,
        config: {
          "superserve-mesa:mesaApiKey": { value: mesaServer.apiKey, secret: true },
          "superserve-mesa:mesaApiUrl": { value: mesaServer.url },
        },
      });
      dirs.push(project.dir);
      expect(project.env.PATH.split(":")).not.toContain(join(repoRoot, "plugin", "bin"));
      const failed = project.stack.preview({ color: "never" });
      await expect(failed).rejects.toThrow(/superserve-mesa/);
      await expect(failed).rejects.toThrow(/plugin/i);
    },
    300_000,
  );

  step(
    "`pulumi plugin install resource superserve-mesa <version> --file <tarball>` puts it in PULUMI_HOME",
    async () => {
      await installPlugin(project);
      expect(await project.runPulumi(["plugin", "ls"])).toMatch(
        new RegExp(`superserve-mesa\\s+resource\\s+${version.replace(/\./g, "\\.")}`),
      );
    },
    300_000,
  );

  step(
    "preview and up create the repo with the stack config's credentials, the API key encrypted in the state",
    async () => {
      const preview = await project.stack.preview({ color: "never" });
      expect(preview.changeSummary.create, preview.stdout).toBe(2);
      const up = await project.stack.up({ color: "never" });
      expect(up.summary.result, up.stderr).toBe("succeeded");
      expect(up.outputs.repo.value).toBe(`${mesaServer.org}/${repoName}`);
      expect((await mesa.repos.get({ repo: repoName })).name).toBe(repoName);
      expect(project.stateFilesContaining(mesaServer.apiKey), "no plaintext API key").toEqual([]);
    },
    300_000,
  );

  step("a second preview plans no change", async () => {
    const preview = await project.stack.preview({ color: "never", expectNoChanges: true });
    expect(Object.keys(preview.changeSummary).filter((k) => k !== "same")).toEqual([]);
  });

  step(
    "destroy deletes the repo",
    async () => {
      const result = await project.stack.destroy({ color: "never" });
      expect(result.summary.result, result.stderr).toBe("succeeded");
      await expect(mesa.repos.get({ repo: repoName })).rejects.toMatchObject({ status: 404 });
    },
    300_000,
  );
});

describe("the provider plugin installed with `pulumi plugin install --file`, in Python", () => {
  const step = dependentSteps();
  const name = `py-installed-${suffix}`;
  let project: TempProject;

  step(
    "an explicit provider given the credentials as arguments creates a repo; the API key is encrypted in the state",
    async () => {
      project = await createTempProject({
        name,
        runtime: "python",
        pluginOnPath: false,
        program: `import pulumi
import pulumi_superserve_mesa as psm

mesa = psm.Provider("mesa", mesa_api_key="${mesaServer.apiKey}", mesa_api_url="${mesaServer.url}")
repo = psm.MesaRepo(
    "workspace", name="${name}", force_destroy=True, opts=pulumi.ResourceOptions(provider=mesa)
)
pulumi.export("repo", pulumi.Output.concat(repo.org, "/", repo.name))
`,
      });
      dirs.push(project.dir);
      await installPlugin(project);
      const up = await project.stack.up({ color: "never" });
      expect(up.summary.result, up.stderr).toBe("succeeded");
      expect(up.outputs.repo.value).toBe(`${mesaServer.org}/${name}`);
      expect((await mesa.repos.get({ repo: name })).name).toBe(name);
      expect(project.stateFilesContaining(mesaServer.apiKey), "no plaintext API key").toEqual([]);
    },
    600_000,
  );

  step(
    "destroy deletes the repo",
    async () => {
      const result = await project.stack.destroy({ color: "never" });
      expect(result.summary.result, result.stderr).toBe("succeeded");
      await expect(mesa.repos.get({ repo: name })).rejects.toMatchObject({ status: 404 });
    },
    300_000,
  );
});
