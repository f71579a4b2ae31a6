/**
 * A Pulumi YAML program and a Python program through the provider plugin
 * (`pulumi-resource-superserve-mesa` on PATH; the YAML and Python language hosts built by
 * scripts/install-pulumi.sh; the generated Python SDK from scripts/python-sdk-venv.sh) and the real
 * engine, against local Mesa and local Superserve. Each brings up an AgentEnvironment (repo,
 * template, two sandboxes) built by the plugin's `construct`; the mounts serve and an edit reaches
 * Mesa; the YAML one also runs an agent in each sandbox (the plugin's SandboxCommand), whose work
 * reaches Mesa on its own bookmark and whose status a refresh reads; build-log lines and the plugin's progress reach the engine's output; a preview plans no
 * change; destroy leaves no sandbox and no repo. Run `npm run build` first: the plugin runs
 * `dist/plugin`.
 */
import { Sandbox } from "@superserve/sdk";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { eventually } from "../helpers/eventually";
import { startLocalBackends, type LocalBackends } from "../helpers/local-backends";
import { remoteText } from "../helpers/mesa-repos";
import { createTempProject, type TempProject } from "../helpers/pulumi";
import { dependentSteps } from "../helpers/steps";

let backends: LocalBackends;
const projects: TempProject[] = [];
const suffix = randomUUID().slice(0, 6);
const conn = () => backends.conn();

/** The YAML program's agents' tasks: each agent writes its task to `task.txt` in its mount. */
const TASKS = ["the parser", "the docs"];

/**
 * The same environment in each language: `repo` names its repo, `marker` is its build step's
 * output, `token` a secret environment value of its sandboxes. The YAML one runs an agent.
 */
const PROGRAMS = {
  yaml: (repo: string, marker: string, token: string) => `resources:
  agents:
    type: superserve-mesa:index:AgentEnvironment
    properties:
      repo:
        name: ${repo}
        forceDestroy: true
      template:
        from: debian:12
        steps:
          - run: echo ${marker}
        verboseBuildLogs: true
      sandboxes:
        count: 2
        metadata:
          team: agents
        envVars:
          AGENT_TOKEN:
            fn::secret: ${token}
      agent:
        command: printf '%s\\n' "$AGENT_TASK" > task.txt
        tasks: ${JSON.stringify(TASKS)}
      protectRepo: false
outputs:
  mounts: \${agents.mountPaths}
  sandboxes: \${agents.sandboxes}
  agents: \${agents.agents}
`,
  python: (repo: string, marker: string, token: string) => `import pulumi
import pulumi_superserve_mesa as psm

env = psm.AgentEnvironment(
    "agents",
    repo=psm.AgentEnvironmentRepoArgs(name="${repo}", force_destroy=True),
    template=psm.AgentEnvironmentTemplateArgs(
        from_="debian:12",
        steps=[psm.SuperserveTemplateStepArgs(run="echo ${marker}")],
        verbose_build_logs=True,
    ),
    sandboxes=psm.AgentEnvironmentSandboxesArgs(
        count=2,
        metadata={"team": "agents"},
        env_vars={"AGENT_TOKEN": pulumi.Output.secret("${token}")},
    ),
    protect_repo=False,
)
pulumi.export("mounts", env.mount_paths)
pulumi.export("sandboxes", env.sandboxes)
`,
};

/** Sandboxes as the stack outputs list them (Python's outputs use snake_case names). */
type SandboxOut = { sandboxId: string; bookmark: string; mountPath: string };

function sandboxesOf(value: unknown): SandboxOut[] {
  return (value as Array<Record<string, string>>).map((s) => ({
    sandboxId: s.sandboxId ?? s.sandbox_id,
    bookmark: s.bookmark,
    mountPath: s.mountPath ?? s.mount_path,
  }));
}

async function run(id: string, cmd: string) {
  const sandbox = await Sandbox.connect(id, conn());
  return sandbox.commands.run(cmd, { timeoutMs: 30_000 });
}

async function sandboxesOfProject(project: string): Promise<Array<{ id: string }>> {
  const all = await Sandbox.list(conn());
  return all.filter((s) => (s.metadata["pulumi-urn"] ?? "").includes(`::${project}::`));
}

beforeAll(async () => {
  backends = await startLocalBackends({ mesaCli: true, superserve: { killGraceMs: 10_000 } });
}, 300_000);

afterAll(async () => {
  for (const project of projects) await project.dispose().catch(() => undefined);
  for (const s of (await Sandbox.list(conn()).catch(() => [])) ?? [])
    await Sandbox.killById(s.id, conn()).catch(() => undefined);
  await backends?.close();
}, 300_000);

describe.each(["yaml", "python"] as const)(
  "a %s program through the provider plugin",
  (language) => {
    const step = dependentSteps();
    const name = `${language}-${suffix}`;
    const repoName = `${language}-workspace-${suffix}`;
    const marker = `${language}-build-${suffix}`;
    const token = `${language}-token-${randomUUID()}`;
    let project: TempProject;
    let boxes: SandboxOut[] = [];

    step(
      "the project starts",
      async () => {
        project = await createTempProject({
          name,
          runtime: language,
          program: PROGRAMS[language](repoName, marker, token),
          env: backends.env(),
        });
        projects.push(project);
      },
      300_000,
    );

    step(
      "up builds the AgentEnvironment: repo, template, two sandboxes each on its own bookmark",
      async () => {
        const result = await project.stack.up({ color: "never" });
        expect(result.summary.result, result.stderr).toBe("succeeded");
        expect(result.stdout, "the template's build log reaches the engine's output").toContain(
          `build: ${marker}`,
        );
        expect(result.stdout, "the plugin's progress reaches the engine's output").toMatch(
          /Template \S+ is ready/,
        );
        boxes = sandboxesOf((await project.stack.outputs()).sandboxes.value);
        expect(boxes.map((b) => b.bookmark)).toEqual([
          "agents/agents-sandbox-0",
          "agents/agents-sandbox-1",
        ]);
        const mount = `/home/user/.local/share/mesa/mnt/${backends.mesa.org}/${repoName}`;
        expect(boxes.map((b) => b.mountPath)).toEqual([mount, mount]);
        const types = (
          ((await project.stack.exportStack()).deployment as { resources: Array<{ type: string }> })
            .resources ?? []
        ).map((r) => r.type);
        expect(types, "the children are the plugin's resources").toEqual(
          expect.arrayContaining([
            "superserve-mesa:index:AgentEnvironment",
            "superserve-mesa:index:MesaRepo",
            "superserve-mesa:index:SuperserveTemplate",
            "superserve-mesa:index:MountedSandbox",
            ...(language === "yaml" ? ["superserve-mesa:index:SandboxCommand"] : []),
          ]),
        );
      },
      600_000,
    );

    step(
      "the mounts serve the repo, and an edit in one reaches Mesa on that sandbox's bookmark",
      async () => {
        for (const box of boxes)
          expect(
            (await run(box.sandboxId, `test -d ${box.mountPath} && echo ok`)).stdout.trim(),
          ).toBe("ok");
        expect(
          (await run(boxes[0].sandboxId, "printenv AGENT_TOKEN")).stdout.trim(),
          "the secret environment value reaches the sandbox",
        ).toBe(token);
        await run(boxes[1].sandboxId, `echo "${language} agent" > ${boxes[1].mountPath}/agent.txt`);
        expect(
          await eventually(
            "the edit to reach Mesa",
            () => remoteText(backends.mesaClient, repoName, "agent.txt", "agents/agents-sandbox-1"),
            30_000,
            250,
          ),
        ).toBe(`${language} agent\n`);
      },
      120_000,
    );

    if (language === "yaml")
      step(
        "each agent's task reaches Mesa on its own bookmark; a refresh shows every agent exited 0",
        async () => {
          for (const [i, task] of TASKS.entries())
            expect(
              await eventually(
                `agent ${i}'s task.txt to reach Mesa`,
                () =>
                  remoteText(
                    backends.mesaClient,
                    repoName,
                    "task.txt",
                    `agents/agents-sandbox-${i}`,
                  ),
                30_000,
                250,
              ),
            ).toBe(`${task}\n`);
          const refresh = await project.stack.refresh({ color: "never" });
          expect(refresh.summary.result, refresh.stderr).toBe("succeeded");
          const agents = (await project.stack.outputs()).agents.value as Record<
            string,
            { task: string; status: string; exitCode?: number }
          >;
          expect(
            Object.values(agents).map(({ task, status, exitCode }) => ({ task, status, exitCode })),
          ).toEqual(TASKS.map((task) => ({ task, status: "exited", exitCode: 0 })));
        },
        120_000,
      );

    step("a preview plans no change; the state holds the secret encrypted only", async () => {
      const preview = await project.stack.preview({ color: "never", expectNoChanges: true });
      // Two more in YAML: its agents.
      expect(preview.changeSummary.same, preview.stdout).toBe(language === "yaml" ? 8 : 6);
      expect(Object.keys(preview.changeSummary).filter((k) => k !== "same")).toEqual([]);
      expect(project.stateFilesContaining(token), "the secret is encrypted in the state").toEqual(
        [],
      );
    });

    step(
      "destroy deletes the sandboxes, the template and the repo",
      async () => {
        const result = await project.stack.destroy({ color: "never" });
        expect(result.summary.result, result.stderr).toBe("succeeded");
        expect(await sandboxesOfProject(name)).toEqual([]);
        await expect(backends.mesaClient.repos.get({ repo: repoName })).rejects.toMatchObject({
          status: 404,
        });
      },
      300_000,
    );
  },
);
