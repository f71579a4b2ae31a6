/**
 * AgentEnvironment's agents through the real Pulumi engine against local Mesa and local Superserve:
 * three tasks, each sandbox's agent (the guide's `claude "Implement the feature described in
 * TODO.md"`, played by the project's stand-in) writing its file on its own bookmark; the statuses
 * after a refresh; a second up that runs nothing; a failing foreground SandboxCommand failing the up
 * with its stderr; one task changed re-running that agent only; and a destroy that stops running
 * agents and keeps their work on the bookmarks.
 */
import type { Mesa } from "@mesadev/sdk" with { "resolution-mode": "import" };
import { Sandbox } from "@superserve/sdk";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../helpers/eventually";
import { startLocalBackends, type LocalBackends } from "../helpers/local-backends";
import { remoteText } from "../helpers/mesa-repos";
import { createTempProject, repoRoot, type TempProject } from "../helpers/pulumi";

let backends: LocalBackends;
let mesa: Mesa;
let project: TempProject;
const repoName = `agents-${randomUUID().slice(0, 6)}`;
const conn = () => backends.conn();
const STAND_IN = readFileSync(join(repoRoot, "stacks", "stand-in-agent.sh")).toString("base64");

/** The program: 3 tasks; `steps` stand-in steps of 1 s each. */
function program(tasks: string[], steps = 3, extra = ""): string {
  return `import { AgentEnvironment, SandboxCommand } from "pulumi-superserve-mesa";

const env = new AgentEnvironment("crew", {
  repo: { name: ${JSON.stringify(repoName)} },
  template: {
    from: "debian:12",
    steps: [{ run: "printf '%s' '${STAND_IN}' | base64 -d > /usr/local/bin/claude && chmod 755 /usr/local/bin/claude" }],
  },
  agent: {
    command: 'claude "Implement the feature described in TODO.md"',
    tasks: ${JSON.stringify(tasks)},
    environment: { AGENT_STEPS: "${steps}", AGENT_STEP_SECONDS: "1" },
  },
  protectRepo: false,
  transform: { repo: (_args, opts) => { opts.retainOnDelete = true; } },
});
export const sandboxes = env.sandboxes;
export const agents = env.agents;
${extra}`;
}

type Agents = Record<
  string,
  { task: string; status: string; exitCode?: number; logTail: string; tokenExpiresAt: string }
>;
type Sandboxes = Array<{ name: string; sandboxId: string; bookmark: string }>;

const outputs = async () => {
  const out = await project.stack.outputs();
  return { agents: out.agents.value as Agents, sandboxes: out.sandboxes.value as Sandboxes };
};

/** The agent file of sandbox `i` on its bookmark, once it says it is done. */
function finishedFile(bookmark: string, i: number): Promise<string> {
  return eventually(
    `agent-${i}.md finished on ${bookmark}`,
    async () => {
      const text = await remoteText(mesa, repoName, `agent-${i}.md`, bookmark);
      return text?.endsWith("Done.\n") ? text : undefined;
    },
    60_000,
    250,
  );
}

async function up() {
  const result = await project.stack.up({ color: "never" });
  expect(result.summary.result, result.stderr).toBe("succeeded");
  return result.summary.resourceChanges ?? {};
}

beforeAll(async () => {
  backends = await startLocalBackends({ mesaCli: true, superserve: { killGraceMs: 10_000 } });
  mesa = backends.mesaClient;
  project = await createTempProject({
    name: `agents-${randomUUID().slice(0, 6)}`,
    program: program(["the parser", "the CLI", "the docs"]),
    env: backends.env(),
  });
}, 300_000);

afterAll(async () => {
  await project?.dispose();
  await backends?.close();
}, 300_000);

describe("AgentEnvironment's agents through the engine", () => {
  it("runs each sandbox's agent with its own task; its file lands on its own bookmark; a refresh shows every agent exited 0", async () => {
    await up();
    const { sandboxes, agents } = await outputs();
    expect(sandboxes).toHaveLength(3);
    expect(Object.values(agents).map((a) => a.task)).toEqual(["the parser", "the CLI", "the docs"]);
    for (const agent of Object.values(agents)) {
      expect(["running", "exited"]).toContain(agent.status);
      expect(Date.parse(agent.tokenExpiresAt)).toBeGreaterThan(Date.now());
    }
    for (const [i, sandbox] of sandboxes.entries()) {
      const text = await finishedFile(sandbox.bookmark, i);
      expect(text).toContain(`Task: ${agents[sandbox.name].task}`);
      for (const other of [0, 1, 2].filter((j) => j !== i))
        expect(
          await remoteText(mesa, repoName, `agent-${other}.md`, sandbox.bookmark),
          `agent ${other}'s file is not on ${sandbox.bookmark}`,
        ).toBeUndefined();
    }
    const refresh = await project.stack.refresh({ color: "never", runProgram: true });
    expect(refresh.summary.result, refresh.stderr).toBe("succeeded");
    const after = (await outputs()).agents;
    for (const agent of Object.values(after))
      expect(agent, JSON.stringify(after)).toMatchObject({ status: "exited", exitCode: 0 });
    expect(Object.values(after)[0].logTail).toMatch(/step 3 of 3 done\ndone: .*agent-0\.md$/);
  });

  it("runs nothing on a second up", async () => {
    const { sandboxes } = await outputs();
    const heads = await Promise.all(
      sandboxes.map((s) => mesa.bookmarks.get({ repo: repoName, bookmark: s.bookmark })),
    );
    const changes = await up();
    expect(Object.keys(changes).filter((op) => op !== "same")).toEqual([]);
    const again = await Promise.all(
      sandboxes.map((s) => mesa.bookmarks.get({ repo: repoName, bookmark: s.bookmark })),
    );
    expect(
      again.map((b) => b.change_id),
      "no agent ran again",
    ).toEqual(heads.map((b) => b.change_id));
  });

  it("a foreground SandboxCommand that fails fails the up with its exit code and stderr, and records nothing", async () => {
    project.writeProgram(
      program(
        ["the parser", "the CLI", "the docs"],
        3,
        `new SandboxCommand("check", { sandbox: env.sandboxResources[0], create: 'echo "3 tests failed" >&2; exit 4' });\n`,
      ),
    );
    const failed = await project.stack.up({ color: "never" }).then(
      () => undefined,
      (error: Error) => error,
    );
    expect(failed?.message, "the up fails").toMatch(/exited with code 4/);
    expect(failed?.message).toMatch(/3 tests failed/);
    const exported = await project.stack.exportStack();
    const resources = (exported.deployment as { resources?: Array<{ urn: string }> }).resources;
    expect(
      resources?.some((r) => r.urn.endsWith("::check")),
      "nothing recorded: the next up runs it again",
    ).toBe(false);
  });

  it("re-runs only the agent whose task changed", async () => {
    project.writeProgram(program(["the parser", "the CLI, with colours", "the docs"]));
    const changes = await up();
    expect(changes, "one command replaced, nothing else changed").toMatchObject({ replace: 1 });
    expect(Object.keys(changes).filter((op) => !["same", "replace"].includes(op))).toEqual([]);
    const { sandboxes } = await outputs();
    const text = await eventually(
      "agent 1's new task on its bookmark",
      async () => {
        const t = await remoteText(mesa, repoName, "agent-1.md", sandboxes[1].bookmark);
        return t?.includes("the CLI, with colours") && t.endsWith("Done.\n") ? t : undefined;
      },
      60_000,
      250,
    );
    expect(text).toContain("Task: the CLI, with colours");
  });

  it("destroy stops the running agents and keeps their work on the bookmarks", async () => {
    project.writeProgram(program(["the parser", "the CLI, with colours", "the docs"], 600));
    await up();
    const { sandboxes, agents } = await outputs();
    expect(Object.values(agents).every((a) => a.status === "running")).toBe(true);
    await eventually(
      "every long agent to have written its first step",
      async () => {
        const texts = await Promise.all(
          sandboxes.map((s, i) => remoteText(mesa, repoName, `agent-${i}.md`, s.bookmark)),
        );
        return texts.every((t) => t?.includes("- step 1 of 600 done"));
      },
      60_000,
      250,
    );
    const result = await project.stack.destroy({ color: "never" });
    expect(result.summary.result, result.stderr).toBe("succeeded");
    const live = (await Sandbox.list(conn())).filter((s) =>
      sandboxes.some((x) => x.sandboxId === s.id),
    );
    expect(live, "the sandboxes are gone").toEqual([]);
    for (const [i, sandbox] of sandboxes.entries()) {
      const text = await remoteText(mesa, repoName, `agent-${i}.md`, sandbox.bookmark);
      expect(text, `agent ${i}'s work is kept on ${sandbox.bookmark}`).toMatch(
        /- step 1 of 600 done\n/,
      );
      expect(text).not.toContain("Done.");
    }
  });
});
