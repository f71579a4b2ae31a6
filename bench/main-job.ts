/**
 * `npm run bench:main-job`: the wall time of a no-op `npm run up` — the main job with nothing to do
 * (the local stack, 2 sandboxes, unchanged) — on both runtimes, alternating (minimum, current,
 * minimum, current, …) so a change of the machine's load falls on both alike, in a fresh copy of
 * the project with local backends of its own. Each run's phases are timed from the step lines
 * scripts/main.sh prints as they arrive: npm's start, the set-up, the current runtime's check, the
 * local backends' start with the clean-up of killed runs and the state's read, `pulumi up
 * --refresh`, the stack outputs, the proof. Prints every run, then per runtime the median, min and
 * max and each phase's median, against the target (≤ 5 s on the current runtime). The copy's
 * first `npm run up` (building dist/ and the environment) and its destroy are not timed.
 *
 * Knobs: BENCH_MAIN_JOB_REPEAT (timed runs per runtime, default 5). Needs root (the local
 * Superserve).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { withoutCredentials } from "../test/helpers/credentials";
import { copyProject } from "../test/helpers/project-copy";
import { median } from "./up-report";

type RuntimeName = "minimum" | "current";

/** The phases of a run: each begins at the first line matching its marker. */
const PHASES: { name: string; marker: RegExp }[] = [
  { name: "npm's start", marker: /^/ },
  { name: "set-up", marker: /==> setting up/ },
  { name: "current runtime's check", marker: /==> the current runtime/ },
  { name: "local backends, killed runs, state", marker: /==> starting the local backends/ },
  { name: "pulumi up --refresh", marker: /==> pulumi up/ },
  { name: "stack outputs", marker: /==> stack outputs/ },
  { name: "proof", marker: /==> proof/ },
];

interface Run {
  runtime: RuntimeName;
  ms: number;
  /** Phase name → ms (the phases the run went through). */
  phases: Map<string, number>;
  load: number;
  summary: string;
}

/** `npm <args>` in `dir`; resolves with its output, each line with its arrival time (ms). */
function npm(
  dir: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ ms: number; lines: { at: number; text: string }[]; code: number | null }> {
  const started = performance.now();
  const child = spawn("npm", args, { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
  const lines: { at: number; text: string }[] = [];
  const collect = (stream: NodeJS.ReadableStream) => {
    let partial = "";
    stream.on("data", (chunk: Buffer) => {
      const at = performance.now() - started;
      const parts = (partial + chunk.toString()).split("\n");
      partial = parts.pop()!;
      for (const text of parts) lines.push({ at, text });
    });
  };
  collect(child.stdout);
  collect(child.stderr);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) =>
      resolve({ ms: performance.now() - started, lines: lines.sort((a, b) => a.at - b.at), code }),
    );
  });
}

async function timedNoop(dir: string, env: NodeJS.ProcessEnv, runtime: RuntimeName): Promise<Run> {
  const load = loadavg()[0];
  const run = await npm(dir, ["run", "up"], { ...env, PSM_RUNTIME: runtime });
  const output = run.lines.map((l) => l.text).join("\n");
  if (run.code !== 0)
    throw new Error(
      `npm run up on the ${runtime} runtime failed (exit ${run.code}):\n${output.slice(-3000)}`,
    );
  const summary = output
    .slice(output.lastIndexOf("Resources:"))
    .split("\n")
    .slice(0, 2)
    .join(" ")
    .trim();
  if (/created|updated|replaced|deleted/.test(summary) || !/unchanged/.test(summary))
    throw new Error(`the run was not a no-op (${summary}):\n${output.slice(-3000)}`);
  const starts = PHASES.flatMap(({ name, marker }) => {
    const line = run.lines.find((l) => marker.test(l.text));
    return line ? [{ name, at: name === "npm's start" ? 0 : line.at }] : [];
  });
  const phases = new Map(
    starts.map((s, i) => [s.name, (starts[i + 1]?.at ?? run.ms) - s.at] as [string, number]),
  );
  return { runtime, ms: run.ms, phases, load, summary: summary.replace(/\s+/g, " ") };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function main(): Promise<void> {
  const repeat = Number(process.env.BENCH_MAIN_JOB_REPEAT ?? 5);
  if (!Number.isInteger(repeat) || repeat < 1)
    throw new Error(
      `BENCH_MAIN_JOB_REPEAT must be a whole number ≥ 1; got "${process.env.BENCH_MAIN_JOB_REPEAT}"`,
    );
  const root = mkdtempSync(join(tmpdir(), "bench-main-job-"));
  const dir = join(root, "project");
  copyProject(dir);
  // Local backends of the copy's own (port 0, data in the work dir), no credentials: the local stack.
  const env: NodeJS.ProcessEnv = {
    ...withoutCredentials(process.env, ["PULUMI_CONFIG_PASSPHRASE", "PULUMI_BACKEND_URL"]),
    PSM_LOCAL_DIR: join(root, "local-data"),
    PSM_MESA_PORT: "0",
    PSM_SUPERSERVE_PORT: "0",
    STACK: "local",
  };
  try {
    console.log(
      `bench:main-job — a no-op npm run up, ${repeat} run(s) per runtime, alternating, in ${dir}`,
    );
    for (const runtime of ["minimum", "current"] as const) {
      const first = await npm(dir, ["run", "up"], { ...env, PSM_RUNTIME: runtime });
      if (first.code !== 0)
        throw new Error(
          `the untimed npm run up on the ${runtime} runtime failed:\n${first.lines
            .map((l) => l.text)
            .join("\n")
            .slice(-3000)}`,
        );
      const header = first.lines.find((l) => l.text.startsWith(`runtime ${runtime}:`));
      console.log(
        `  ${header?.text ?? `runtime ${runtime}`} (untimed first run: ${seconds(first.ms)})`,
      );
    }
    const runs: Run[] = [];
    for (let i = 0; i < repeat; i++) {
      const order: RuntimeName[] = i % 2 === 0 ? ["minimum", "current"] : ["current", "minimum"];
      for (const runtime of order) {
        const run = await timedNoop(dir, env, runtime);
        runs.push(run);
        console.log(
          `  ${runtime.padEnd(7)} ${seconds(run.ms).padStart(8)}  load ${run.load.toFixed(1)}  (${[...run.phases].map(([name, ms]) => `${name} ${seconds(ms)}`).join(", ")}; ${run.summary})`,
        );
      }
    }
    console.log("\n## a no-op npm run up (median, min–max; the phases' medians)");
    for (const runtime of ["minimum", "current"] as const) {
      const mine = runs.filter((r) => r.runtime === runtime);
      const ms = mine.map((r) => r.ms);
      const loads = mine.map((r) => r.load);
      const target =
        runtime === "current" ? `  target ≤ 5 s: ${median(ms) <= 5000 ? "met" : "MISSED"}` : "";
      console.log(
        `  ${runtime.padEnd(7)} ${seconds(median(ms))} (${seconds(Math.min(...ms))}–${seconds(Math.max(...ms))}), load ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}${target}`,
      );
      for (const { name } of PHASES) {
        const values = mine.flatMap((r) => (r.phases.has(name) ? [r.phases.get(name)!] : []));
        if (values.length > 0) console.log(`      ${name.padEnd(36)} ${seconds(median(values))}`);
      }
    }
    const ratios = runs
      .filter((r) => r.runtime === "current")
      .map((r, i) => r.ms / runs.filter((m) => m.runtime === "minimum")[i].ms);
    console.log(`  current / minimum, run by run: median ${median(ratios).toFixed(2)}×`);
  } finally {
    await npm(dir, ["run", "destroy"], env);
    await npm(dir, ["run", "local", "--", "stop", "--all"], env);
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
