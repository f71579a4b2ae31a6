/**
 * `npm run bench:up`: `pulumi up` of an AgentEnvironment against the plain-SDK script a user would
 * otherwise write (`up-direct.ts`), on the local backends started here (temp data dirs), in the
 * same run, rotating which goes first:
 * - a fresh stack's `pulumi up` with N = 1, 10, 50 sandboxes vs the script doing the same work
 *   (repo, template build, N × token + fork + sandbox + `mesa mount -d` + wait) twice: as a user
 *   (and the seed guide) would write it, waiting for the template with the SDK's default 2 s poll,
 *   and tuned, polling every 250 ms as the provider's first polls do — the critical path's limit;
 *   each is torn down (not timed) before the next run;
 * - a no-op `pulumi up` at the largest N vs an empty program's no-op `pulumi up`.
 * Prints the times, pulumi's ratio to both scripts, the targets (up ≤ 1.5× the tuned script at
 * N = 10, ≤ 1.3× at N = 50; no-op ≤ 2× the empty program), and a timeline of each run as the
 * backends saw it (when the repo, the template and the sandboxes appeared), which shows where the
 * time goes.
 *
 * Each runtime of BENCH_UP_RUNTIMES ("minimum,current", the default: both, one after the other;
 * a name may repeat, to alternate them; see up-runtimes.ts) is measured in full, its report headed by the Node.js, SDK and CLI versions
 * it ran. Every process runs with NODE_COMPILE_CACHE, as in `npm run up`.
 *
 * Knobs: BENCH_UP_SIZES (default "1,10,50"), BENCH_UP_REPEAT (runs per size and method, default 2),
 * BENCH_UP_NOOP_REPEAT (default 3), BENCH_UP_PARALLEL (the engine's --parallel; default N + 3 so
 * every sandbox of the environment can be created at once, as the script's Promise.all does),
 * BENCH_UP_PROGRAM ("component", the default: an AgentEnvironment; "resources": the same repo,
 * template and sandboxes declared one by one, to isolate the component's cost), BENCH_UP_RUNTIME
 * ("ts-node", the default and what `npm run up` runs: TypeScript compiled by the language host at
 * every run; "compiled": the programs compiled to JavaScript before the timed runs, as a build
 * step would, and run with `typescript: false` — see the README for why it gains nothing with
 * the language host scripts/install-pulumi.sh builds). The environment passes through to the
 * engine; PULUMI_NODEJS_TRANSPILE_ONLY defaults to true (ts-node without its type check), as in
 * `npm run up`.
 * Needs root (the local Superserve).
 */
import * as superserveSdk from "@superserve/sdk";
import { build } from "esbuild";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { startLocalMesa, type LocalMesa } from "../local/mesa";
import { prepareSandboxTools } from "../local/sandbox-tools";
import { startLocalSuperserve, type LocalSuperserve } from "../local/superserve";
import { routeDataPlaneTo } from "../provider/data-plane";
import { repoRoot, type TempProject } from "../test/helpers/pulumi";
import {
  removeDirectly,
  type DirectResult,
  type DirectSpec,
  type DirectTargets,
  type Sdks,
} from "./up-direct";
import {
  BENCH_TEMPLATE,
  EMPTY_PROGRAM,
  destroyArgs,
  environmentProgram,
  newProject,
  resourcesProgram,
  type ProgramRuntime,
  timePulumi,
  upArgs,
} from "./up-pulumi";
import { printReport, type Measurement, type Timeline } from "./up-report";
import { runNode } from "./up-process";
import { compileCacheDir, runtimesToMeasure, selectRuntime } from "./up-runtimes";

interface Bench {
  work: string;
  targets: DirectTargets;
  env: Record<string, string>;
  sdks: Sdks;
  script: string;
  runs: number;
  /** "component" (AgentEnvironment) or "resources" (MesaRepo + SuperserveTemplate + N MountedSandbox). */
  program: "component" | "resources";
  runtime: ProgramRuntime;
  /** The `node` that runs the plain scripts: the measured runtime's. */
  node: string;
}

function numbers(value: string | undefined, fallback: string): number[] {
  const list = (value ?? fallback).split(",").map((s) => Number(s.trim()));
  if (list.some((n) => !Number.isInteger(n) || n < 1))
    throw new Error(`BENCH_UP_SIZES must be whole numbers ≥ 1, comma-separated; got "${value}"`);
  return list;
}

function count(name: string, fallback: number): number {
  const n = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`${name} must be a whole number ≥ 1; got "${process.env[name]}"`);
  return n;
}

/** Bundle the direct script into `dir` so plain `node` runs it (as a user's compiled script). */
async function bundleScript(dir: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  symlinkSync(join(repoRoot, "node_modules"), join(dir, "node_modules"), "dir");
  const outfile = join(dir, "direct.mjs");
  await build({
    entryPoints: [join(__dirname, "up-direct-main.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    // The provider's modules load some packages with require() on first use (see data-plane.ts).
    banner: {
      js: 'import { createRequire } from "node:module"; const require = createRequire(import.meta.url);',
    },
    outfile,
    logLevel: "warning",
  });
  return outfile;
}

/** When the backends saw the run's repo, template and sandboxes appear, relative to `startEpoch`. */
async function timelineOf(
  bench: Bench,
  id: string,
  startEpoch: number,
  endMs: number,
): Promise<Timeline> {
  const conn = { apiKey: bench.targets.superserve.apiKey, baseUrl: bench.targets.superserve.url };
  const mesa = new bench.sdks.mesa.Mesa({
    apiKey: bench.targets.mesa.apiKey,
    apiUrl: bench.targets.mesa.url,
    org: bench.targets.mesa.org,
  });
  const repo = (await mesa.repos.get({ repo: `${id}-repo` })) as { created_at?: string };
  const template = await bench.sdks.superserve.Template.connect(`${id}-template`, conn);
  const buildInfo = template.latestBuildId
    ? await template.getBuild(template.latestBuildId)
    : undefined;
  const boxes = await bench.sdks.superserve.Sandbox.list({ ...conn, metadata: { bench: id } });
  const at = (d: Date | string | undefined) =>
    d === undefined ? NaN : new Date(d).getTime() - startEpoch;
  const created = boxes.map((b) => at(b.createdAt)).sort((a, b) => a - b);
  return {
    repoMs: at(repo.created_at),
    templateMs: at(template.createdAt),
    templateReadyMs: at(buildInfo?.finalizedAt),
    firstSandboxMs: created[0] ?? NaN,
    lastSandboxMs: created[created.length - 1] ?? NaN,
    endMs,
    activeSandboxes: boxes.filter((b) => b.status === "active").length,
  };
}

/** Kill anything tagged with the run's id that a teardown left behind; returns how many. */
async function sweep(bench: Bench, id: string): Promise<number> {
  const conn = { apiKey: bench.targets.superserve.apiKey, baseUrl: bench.targets.superserve.url };
  const left = await bench.sdks.superserve.Sandbox.list({ ...conn, metadata: { bench: id } });
  await Promise.all(
    left.map((s) => bench.sdks.superserve.Sandbox.killById(s.id, conn).catch(() => undefined)),
  );
  return left.length;
}

/** The tuned script's template poll: the provider's first poll interval. */
const TUNED_POLL_MS = 250;

async function runScript(
  bench: Bench,
  n: number,
  method: "script" | "tuned script",
): Promise<Measurement> {
  const id = `bs${++bench.runs}-${Date.now().toString(36)}`;
  const spec: DirectSpec = {
    name: id,
    count: n,
    template: BENCH_TEMPLATE,
    metadata: { bench: id },
    templatePollMs: method === "tuned script" ? TUNED_POLL_MS : undefined,
  };
  const loadBefore = loadavg()[0];
  const startEpoch = Date.now();
  const run = await runNode(
    bench.script,
    { ...process.env, ...bench.env, BENCH_DIRECT_SPEC: JSON.stringify(spec) },
    bench.node,
  );
  try {
    if (run.code !== 0)
      throw new Error(`the direct script failed (exit ${run.code}): ${run.stderr.trim()}`);
    const result = JSON.parse(run.stdout.trim().split("\n").pop()!) as DirectResult & {
      loadedMs: number;
    };
    if (result.sandboxIds.length !== n)
      throw new Error(
        `the direct script made ${result.sandboxIds.length} sandboxes, expected ${n}`,
      );
    const timeline = await timelineOf(bench, id, startEpoch, run.ms);
    const sorted = [...result.sandboxMs].sort((a, b) => a - b);
    return {
      method,
      n,
      ms: run.ms,
      load: [loadBefore, loadavg()[0]],
      timeline,
      note: `node+SDK load ${result.loadedMs.toFixed(0)} ms, repo+template ${result.foundationMs.toFixed(0)} ms, per sandbox median ${sorted[Math.floor(sorted.length / 2)].toFixed(0)} / max ${sorted[sorted.length - 1].toFixed(0)} ms`,
    };
  } finally {
    await removeDirectly(bench.sdks, bench.targets, spec);
  }
}

async function runPulumi(
  bench: Bench,
  n: number,
  parallel: number,
  noop: (project: TempProject) => Promise<void>,
): Promise<Measurement> {
  const id = `bp${++bench.runs}-${Date.now().toString(36)}`;
  const program =
    bench.program === "resources" ? resourcesProgram(id, n) : environmentProgram(id, n);
  const project = await newProject(`bench-${id}`, program, bench.env, bench.runtime);
  try {
    const loadBefore = loadavg()[0];
    const startEpoch = Date.now();
    const up = await timePulumi(project, upArgs(parallel), "up");
    const timeline = await timelineOf(bench, id, startEpoch, up.ms);
    if (timeline.activeSandboxes !== n)
      throw new Error(`pulumi up left ${timeline.activeSandboxes} active sandboxes, expected ${n}`);
    await noop(project);
    return {
      method: "pulumi",
      n,
      ms: up.ms,
      load: [loadBefore, loadavg()[0]],
      timeline,
      note: up.summary,
    };
  } finally {
    await timePulumi(project, destroyArgs(parallel), "destroy").catch((err: unknown) =>
      console.error(`destroy of ${id} failed: ${String(err)}`),
    );
    const left = await sweep(bench, id);
    if (left > 0) console.error(`destroy of ${id} left ${left} sandboxes; killed them`);
    rmSync(project.dir, { recursive: true, force: true });
  }
}

/** What {@link measure} runs: sizes, repeats and the engine's --parallel per size. */
interface Plan {
  sizes: number[];
  repeat: number;
  noopRepeat: number;
  parallelFor: (n: number) => number;
}

/** Every timed run on the bench's runtime: the sizes by three methods, then the no-ops. */
async function measure(bench: Bench, plan: Plan): Promise<Measurement[]> {
  const { sizes, repeat, noopRepeat, parallelFor } = plan;
  const largest = Math.max(...sizes);
  const measurements: Measurement[] = [];
  const empty = await newProject("bench-empty", EMPTY_PROGRAM, bench.env, bench.runtime);
  try {
    await timePulumi(empty, upArgs(parallelFor(0)), "first-up");

    const noop = async (project: TempProject, n: number): Promise<void> => {
      for (let i = 0; i < noopRepeat; i++) {
        const pair = [
          async () => {
            const loadBefore = loadavg()[0];
            const run = await timePulumi(project, upArgs(parallelFor(n)), `noop-${i}`);
            measurements.push({
              method: "pulumi no-op",
              n,
              ms: run.ms,
              load: [loadBefore, loadavg()[0]],
              note: run.summary,
            });
          },
          async () => {
            const loadBefore = loadavg()[0];
            const run = await timePulumi(empty, upArgs(parallelFor(0)), `noop-${i}`);
            measurements.push({
              method: "empty no-op",
              n: 0,
              ms: run.ms,
              load: [loadBefore, loadavg()[0]],
              note: run.summary,
            });
          },
        ];
        if (i % 2 === 1) pair.reverse();
        for (const step of pair) await step();
      }
    };

    console.log(
      `bench:up — program: ${bench.program} (${bench.runtime}), sizes ${sizes.join(", ")}, ${repeat} run(s) each, --parallel ${process.env.BENCH_UP_PARALLEL ?? "N + 3"}, work dir ${bench.work}`,
    );
    let turn = 0;
    for (let r = 0; r < repeat; r++) {
      for (const n of sizes) {
        const withNoop = n === largest && r === repeat - 1;
        const steps = [
          async () => measurements.push(await runScript(bench, n, "script")),
          async () => measurements.push(await runScript(bench, n, "tuned script")),
          async () =>
            measurements.push(
              await runPulumi(
                bench,
                n,
                parallelFor(n),
                withNoop ? (p) => noop(p, n) : async () => undefined,
              ),
            ),
        ];
        const first = turn++ % steps.length;
        for (const step of [...steps.slice(first), ...steps.slice(0, first)]) {
          await step();
          const last = measurements[measurements.length - 1];
          console.log(
            `  ${last.method.padEnd(12)} N=${String(n).padStart(2)}: ${last.ms.toFixed(0).padStart(6)} ms  load ${last.load.map((l) => l.toFixed(1)).join("→")}  (${last.note})`,
          );
        }
      }
    }
    return measurements;
  } finally {
    rmSync(empty.dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const sizes = numbers(process.env.BENCH_UP_SIZES, "1,10,50");
  const repeat = count("BENCH_UP_REPEAT", 2);
  const noopRepeat = count("BENCH_UP_NOOP_REPEAT", 3);
  const parallelFor = (n: number) =>
    process.env.BENCH_UP_PARALLEL ? count("BENCH_UP_PARALLEL", 1) : n + 3;
  const runtimes = runtimesToMeasure(process.env.BENCH_UP_RUNTIMES);
  const program = process.env.BENCH_UP_PROGRAM ?? "component";
  if (program !== "component" && program !== "resources")
    throw new Error(`BENCH_UP_PROGRAM must be "component" or "resources"; got "${program}"`);
  const runtime = process.env.BENCH_UP_RUNTIME ?? "ts-node";
  if (runtime !== "compiled" && runtime !== "ts-node")
    throw new Error(`BENCH_UP_RUNTIME must be "compiled" or "ts-node"; got "${runtime}"`);

  const work = mkdtempSync(join(tmpdir(), "bench-up-"));
  let mesaServer: LocalMesa | undefined;
  let ss: LocalSuperserve | undefined;
  try {
    const tools = await prepareSandboxTools(join(work, "tools"));
    mesaServer = await startLocalMesa({ port: 0, dataDir: join(work, "mesa") });
    ss = await startLocalSuperserve({
      port: 0,
      dataDir: join(work, "superserve"),
      sandboxTools: tools,
      mesaUrl: mesaServer.url,
    });
    routeDataPlaneTo(ss.url);
    const targets: DirectTargets = {
      mesa: { url: mesaServer.url, org: mesaServer.org, apiKey: mesaServer.apiKey },
      superserve: { url: ss.url, apiKey: ss.apiKey },
    };
    const env = {
      MESA_API_URL: targets.mesa.url,
      MESA_API_KEY: targets.mesa.apiKey,
      MESA_ORG: targets.mesa.org,
      SUPERSERVE_BASE_URL: targets.superserve.url,
      SUPERSERVE_API_KEY: targets.superserve.apiKey,
      // As `npm run up` runs the program (scripts/main.sh): ts-node without its type check.
      PULUMI_NODEJS_TRANSPILE_ONLY: process.env.PULUMI_NODEJS_TRANSPILE_ONLY ?? "true",
      // As `npm run up` runs every Node.js process (scripts/main.sh): the module compile cache
      // (Node.js 22 and later; Node.js 20 ignores it).
      NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE ?? compileCacheDir(),
    };
    const script = await bundleScript(join(work, "direct"));
    const mesaSdk = await import("@mesadev/sdk");
    for (const runtimeName of runtimes) {
      const selected = selectRuntime(runtimeName);
      const bench: Bench = {
        work,
        targets,
        env,
        sdks: { mesa: mesaSdk, superserve: superserveSdk },
        script,
        runs: 0,
        program,
        runtime,
        node: selected.node,
      };
      console.log(`\n# ${selected.description}`);
      const measurements = await measure(bench, { sizes, repeat, noopRepeat, parallelFor });
      printReport(measurements, sizes, parallelFor);
    }
  } finally {
    await ss?.stop();
    await mesaServer?.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
