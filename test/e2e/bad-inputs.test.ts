/**
 * Mistakes and secrets through the real engine, against local Mesa and local Superserve: each bad
 * program fails at `pulumi preview` (and again at `pulumi up`) naming the program's field and the
 * fix, creating nothing; a canary secret planted in every secret-bearing input — stored encrypted
 * or marked secret by the program — never appears in any output of preview, up or destroy; and
 * destroy refuses to delete a repo whose forks hold work until `forceDestroy` is set.
 */
import type { Mesa } from "@mesadev/sdk" with { "resolution-mode": "import" };
import { Sandbox, Template } from "@superserve/sdk";
import { teamTemplates } from "../helpers/templates";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalBackends, type LocalBackends } from "../helpers/local-backends";
import { commitOnBookmark } from "../helpers/mesa-repos";
import { uniqueName } from "../helpers/names";
import { createTempProject, type TempProject } from "../helpers/pulumi";
import { dependentSteps } from "../helpers/steps";

/** Planted in every secret-bearing input; also a valid repo name, for the marked-secret name. */
const CANARY = `canary-${randomUUID().slice(0, 12)}`;
const fixtureRepo = uniqueName("fixture");
const fixtureTemplate = uniqueName("fixture");

let backends: LocalBackends;
let mesa: Mesa;
let project: TempProject;
const conn = () => backends.conn();

beforeAll(async () => {
  backends = await startLocalBackends();
  mesa = backends.mesaClient;
  await mesa.repos.create({ name: fixtureRepo });
  const template = await Template.create({
    ...conn(),
    name: fixtureTemplate,
    from: "debian:12",
    steps: [{ run: "true" }],
  });
  await template.waitUntilReady({ pollIntervalMs: 100 });
  project = await createTempProject({
    name: uniqueName("bad"),
    program: "export {};\n",
    config: { canary: { value: CANARY, secret: true } },
    env: backends.env(),
  });
});

afterAll(async () => {
  await project?.dispose().catch(() => undefined);
  await backends?.close();
});

/** A program whose `body` sees `canary` (the secret config value) and the package's classes. */
function program(body: string): string {
  return `import * as pulumi from "@pulumi/pulumi";
import { AgentEnvironment, MesaRepo, MountedSandbox, SuperserveTemplate } from "pulumi-superserve-mesa";
const canary = new pulumi.Config().requireSecret("canary");
void [AgentEnvironment, MesaRepo, MountedSandbox, SuperserveTemplate, canary];
${body}
`;
}

/** Run the CLI; all of stdout and stderr, and the exit code. */
async function pulumi(args: string[]): Promise<{ code: number; output: string }> {
  const child = project.spawnPulumi([...args, "--non-interactive", "--color", "never"]);
  let output = "";
  child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
  const code = await new Promise<number>((resolve) => child.once("close", (c) => resolve(c ?? -1)));
  return { code, output };
}

/** Everything the backends hold besides the fixtures: must stay empty after a failed run. */
async function created(): Promise<string[]> {
  const repos = (await mesa.repos.list({ limit: 100 })).repos
    .map((r) => `repo ${r.name}`)
    .filter((r) => r !== `repo ${fixtureRepo}`);
  const templates = teamTemplates(await Template.list(conn()))
    .map((t) => `template ${t.name}`)
    .filter((t) => t !== `template ${fixtureTemplate}`);
  const sandboxes = (await Sandbox.list(conn())).map((s) => `sandbox ${s.name}`);
  return [...repos, ...templates, ...sandboxes];
}

const sandbox = (extra: string) =>
  `new MountedSandbox("box", { template: ${JSON.stringify(fixtureTemplate)}, repos: [{ repo: ${JSON.stringify(fixtureRepo)} }]${extra} });`;

/** [mistake, program body, what the output must say (field and fix)]. */
const mistakes: [string, string, RegExp[]][] = [
  [
    "a reserved MESA_ variable holding a secret",
    sandbox(`, envVars: { MESA_TOKEN: canary }`),
    [/envVars\.MESA_TOKEN/, /reserved.*Remove it/],
  ],
  [
    "an environment variable name with a space",
    sandbox(`, envVars: { "BAD NAME": canary }`),
    [/envVars\.BAD NAME/, /e\.g\. "AGENT_ROLE"/],
  ],
  [
    "an upstream URL that is no URL, with a secret token",
    `new MesaRepo("repo", { upstream: { url: "not a url", auth: { kind: "token", token: canary } } });`,
    [/upstream\.url/, /e\.g\. "https:\/\/github\.com\/acme\/app\.git"/],
  ],
  [
    "a bad repo name marked secret",
    `new MesaRepo("repo", { name: pulumi.interpolate\`\${canary} !\` });`,
    [/name: Mesa repo name "\[secret\]"/, /use letters, digits/],
  ],
  [
    "a template that does not exist",
    sandbox("").replace(fixtureTemplate, "no-such-template"),
    [/template 'no-such-template' not found in this team; existing: /, new RegExp(fixtureTemplate)],
  ],
  [
    "a fork climbing out with '..'",
    sandbox("").replace(`}] })`, `, fork: "agents/../main" }] })`),
    [/repos\[0\]\.fork "agents\/\.\.\/main"/, /contains '\.\.'/],
  ],
  [
    "AgentEnvironment: a default bookmark with '..' and a secret in a reserved variable",
    `new AgentEnvironment("agents", {
  repo: { defaultBookmark: "release..1" },
  template: { from: "debian:12" },
  sandboxes: { envVars: { MESA_TOKEN: canary } },
  protectRepo: false,
});`,
    [
      /property defaultBookmark value .* "release\.\.1" is not a valid bookmark name: it contains '\.\.'/,
      /e\.g\. "release-1"/,
    ],
  ],
  [
    "AgentEnvironment: 8 vCPUs",
    `new AgentEnvironment("agents", { template: { from: "debian:12", vcpu: 8 }, protectRepo: false });`,
    [/property vcpu/, /from 1 to 4 \(the service's limits\)/],
  ],
];

describe("bad programs through the real engine", () => {
  it.each(mistakes)(
    "%s: preview and up fail naming the field and the fix, print no secret, create nothing",
    async (_mistake, body, says) => {
      project.writeProgram(program(body));
      for (const args of [
        ["preview", "--diff"],
        ["up", "--yes", "--diff"],
      ]) {
        const { code, output } = await pulumi(args);
        expect(code, `pulumi ${args[0]} fails:\n${output}`).not.toBe(0);
        for (const pattern of says) expect(output, `pulumi ${args[0]} output`).toMatch(pattern);
        expect(
          output.includes(CANARY),
          `the canary in the output of pulumi ${args[0]}:\n${output}`,
        ).toBe(false);
      }
      expect(await created(), "nothing created").toEqual([]);
    },
  );

  it("an error at create about a marked-secret name does not print it", async () => {
    await mesa.repos.create({ name: CANARY });
    project.writeProgram(program(`new MesaRepo("repo", { name: canary });`));
    const { code, output } = await pulumi(["up", "--yes", "--skip-preview"]);
    expect(code, output).not.toBe(0);
    expect(output).toMatch(/A Mesa repo named "\[secret\]" already exists/);
    expect(output.includes(CANARY), `the canary in the output:\n${output}`).toBe(false);
    await mesa.repos.delete({ repo: CANARY });
  });
});

describe("destroy keeps the agents' work unless forceDestroy", () => {
  const repoProgram = (forceDestroy: boolean) =>
    program(`const repo = new MesaRepo("workspace", {
  upstream: { url: "https://github.com/acme/app.git", auth: { kind: "token", token: canary } },${forceDestroy ? "\n  forceDestroy: true," : ""}
});
export const name = repo.name;`);
  const outputs: string[] = [];
  const step = dependentSteps();

  step("refuses to destroy a repo whose fork holds work, naming the fork", async () => {
    project.writeProgram(repoProgram(false));
    const up = await pulumi(["up", "--yes", "--skip-preview"]);
    outputs.push(up.output);
    expect(up.code, up.output).toBe(0);
    const name = (await project.stack.outputs()).name.value as string;
    const main = await mesa.bookmarks.get({ repo: name, bookmark: "main" });
    await mesa.bookmarks.create({ repo: name, name: "agents/coder", change_id: main.change_id });
    await commitOnBookmark(mesa, name, "agents/coder", { "work.txt": "the agent's work\n" });
    const destroy = await pulumi(["destroy", "--yes", "--skip-preview"]);
    outputs.push(destroy.output);
    expect(destroy.code, destroy.output).not.toBe(0);
    expect(destroy.output).toMatch(
      /bookmarks agents\/coder hold work that its default bookmark "main" does not have/,
    );
    expect(destroy.output).toContain("set forceDestroy: true on the MesaRepo");
    expect((await mesa.repos.get({ repo: name })).name, "the repo is kept").toBe(name);
  });

  step(
    "with forceDestroy: true (an in-place update) destroy deletes it; no output printed the secret",
    async () => {
      const name = (await project.stack.outputs()).name.value as string;
      project.writeProgram(repoProgram(true));
      const up = await project.stack.up({ color: "never" });
      outputs.push(up.stdout, up.stderr);
      expect(up.summary.resourceChanges, "an in-place update").toMatchObject({ update: 1 });
      const destroy = await pulumi(["destroy", "--yes", "--skip-preview"]);
      outputs.push(destroy.output);
      expect(destroy.code, destroy.output).toBe(0);
      await expect(mesa.repos.get({ repo: name })).rejects.toMatchObject({ status: 404 });
      for (const output of outputs)
        expect(output.includes(CANARY), `the canary in:\n${output}`).toBe(false);
      expect(
        project.stateFilesContaining(CANARY),
        "state files with the canary in plaintext",
      ).toEqual([]);
    },
  );
});
