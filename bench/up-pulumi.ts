/**
 * The Pulumi side of `npm run bench:up`: real projects in temp directories (the e2e harness),
 * an AgentEnvironment program and an empty one, and timed runs of the `pulumi` CLI itself.
 */
import { closeSync, openSync, readFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { createTempProject, type TempProject } from "../test/helpers/pulumi";

/** The template both the program and the direct script build. */
export const BENCH_TEMPLATE = {
  from: "debian:12",
  steps: [{ run: "echo bench > /etc/agent-version" }],
};

/** An AgentEnvironment with `count` sandboxes, every name derived from `id`. */
export function environmentProgram(id: string, count: number): string {
  return `import { AgentEnvironment } from "pulumi-superserve-mesa";

const env = new AgentEnvironment("agents", {
  repo: { name: ${JSON.stringify(`${id}-repo`)} },
  template: { name: ${JSON.stringify(`${id}-template`)}, ...${JSON.stringify(BENCH_TEMPLATE)} },
  sandboxes: { count: ${count}, metadata: { bench: ${JSON.stringify(id)} } },
  protectRepo: false,
});
export const sandboxes = env.sandboxes;
`;
}

/**
 * The same environment from the three resources (repo, template, N mounted sandboxes) without the
 * component: what AgentEnvironment builds, for isolating the component's own cost.
 */
export function resourcesProgram(id: string, count: number): string {
  return `import { MesaRepo, MountedSandbox, SuperserveTemplate } from "pulumi-superserve-mesa";

const repo = new MesaRepo("agents-repo", { name: ${JSON.stringify(`${id}-repo`)} });
const template = new SuperserveTemplate("agents-template", { name: ${JSON.stringify(`${id}-template`)}, ...${JSON.stringify(BENCH_TEMPLATE)} });
export const sandboxes = Array.from({ length: ${count} }, (_, i) =>
  new MountedSandbox(\`agents-sandbox-\${i}\`, { template, repos: [{ repo }], metadata: { bench: ${JSON.stringify(id)} } }).sandboxId,
);
`;
}

/** A program with no resources (the engine's and the language host's floor). */
export const EMPTY_PROGRAM = `import * as pulumi from "@pulumi/pulumi";

export const stack = pulumi.getStack();
`;

/** One timed CLI run. */
export interface PulumiRun {
  ms: number;
  /** The CLI's `Resources:` summary lines (e.g. "+ 53 created"). */
  summary: string;
}

/** How the engine runs the programs: compiled JavaScript or TypeScript through ts-node. */
export type ProgramRuntime = "compiled" | "ts-node";

/** Create a project (not timed): a temp dir, a file backend and a stack (and the compiled program). */
export function newProject(
  name: string,
  program: string,
  env: Record<string, string>,
  runtime: ProgramRuntime,
): Promise<TempProject> {
  return createTempProject({ name, program, env, runtime, stackName: "bench" });
}

/**
 * Run `pulumi <args>` in the project; resolve with the wall time. Output goes to `<dir>/<label>.log`;
 * a non-zero exit rejects with the log's tail.
 */
export function timePulumi(
  project: TempProject,
  args: string[],
  label: string,
): Promise<PulumiRun> {
  const logPath = join(project.dir, `${label}.log`);
  const fd = openSync(logPath, "w");
  const started = performance.now();
  const child = project.spawnPulumi(args);
  child.stdout?.on("data", (chunk: Buffer) => void writeSync(fd, chunk));
  child.stderr?.on("data", (chunk: Buffer) => void writeSync(fd, chunk));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      const ms = performance.now() - started;
      closeSync(fd);
      const log = readFileSync(logPath, "utf8");
      if (code !== 0) {
        reject(
          new Error(
            `pulumi ${args.join(" ")} exited ${code}; last lines of ${logPath}:\n${log.trim().split("\n").slice(-25).join("\n")}`,
          ),
        );
        return;
      }
      resolve({ ms, summary: summaryOf(log) });
    });
  });
}

/** The lines after `Resources:` in the CLI's output, joined ("+ 53 created, 53 unchanged"). */
function summaryOf(log: string): string {
  const lines = log.split("\n");
  const at = lines.findIndex((l) => l.trim() === "Resources:");
  if (at < 0) return "(no summary)";
  const out: string[] = [];
  for (const line of lines.slice(at + 1)) {
    if (!line.trim()) break;
    out.push(line.trim());
  }
  return out.join(", ");
}

/** `pulumi up` without a preview (what `npm run up` and the Automation API run), with `--parallel`. */
export function upArgs(parallel: number): string[] {
  return [
    "up",
    "--yes",
    "--skip-preview",
    "--non-interactive",
    "--color",
    "never",
    "--parallel",
    String(parallel),
  ];
}

/** `pulumi destroy` without a preview. */
export function destroyArgs(parallel: number): string[] {
  return [
    "destroy",
    "--yes",
    "--skip-preview",
    "--non-interactive",
    "--color",
    "never",
    "--parallel",
    String(parallel),
  ];
}
