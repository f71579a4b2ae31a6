/**
 * `npm run bench:faults`: the first `pulumi up` of a fresh 3-sandbox AgentEnvironment, repeated,
 * with a share of the provider's requests to both local backends failing (see `fault-proxy.ts`:
 * 429 with Retry-After, 503, 500, dropped connections). Each run must succeed with every sandbox
 * active and mounted, and leave no orphan: nothing on the backends that the stack's state does
 * not know (a sandbox created twice by a retried create). Each stack is then destroyed with the
 * faults off (not timed) and anything left is swept.
 *
 * Prints, per run and in total: success, requests, faults injected, orphans, time.
 * Knobs: BENCH_FAULTS_RUNS (default 10), BENCH_FAULTS_RATE (default 0.2), BENCH_FAULTS_SANDBOXES
 * (default 3). Needs root (the local Superserve).
 */
import { Sandbox } from "@superserve/sdk";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLocalMesa } from "../local/mesa";
import { prepareSandboxTools } from "../local/sandbox-tools";
import { startLocalSuperserve } from "../local/superserve";
import { routeDataPlaneTo } from "../provider/data-plane";
import { startFaultProxy, type FaultProxy } from "./fault-proxy";
import { destroyArgs, environmentProgram, newProject, timePulumi, upArgs } from "./up-pulumi";

function numberFrom(
  name: string,
  fallback: number,
  valid: (n: number) => boolean,
  what: string,
): number {
  const n = Number(process.env[name] ?? fallback);
  if (!valid(n)) throw new Error(`${name} must be ${what}; got "${process.env[name]}"`);
  return n;
}

interface RunResult {
  ok: boolean;
  requests: number;
  faults: number;
  orphans: number;
  ms: number;
  error?: string;
}

async function main(): Promise<void> {
  const runs = numberFrom(
    "BENCH_FAULTS_RUNS",
    10,
    (n) => Number.isInteger(n) && n >= 1,
    "a whole number ≥ 1",
  );
  const rate = numberFrom(
    "BENCH_FAULTS_RATE",
    0.2,
    (n) => n >= 0 && n < 1,
    "a probability in [0, 1)",
  );
  const count = numberFrom(
    "BENCH_FAULTS_SANDBOXES",
    3,
    (n) => Number.isInteger(n) && n >= 1,
    "a whole number ≥ 1",
  );
  const work = mkdtempSync(join(tmpdir(), "bench-faults-"));
  const proxies: FaultProxy[] = [];
  const mesaServer = await startLocalMesa({ port: 0, dataDir: join(work, "mesa") });
  const ss = await startLocalSuperserve({
    port: 0,
    dataDir: join(work, "superserve"),
    sandboxTools: await prepareSandboxTools(join(work, "tools")),
    // The sandboxes' mounts reach it under the CLI's default host (the provider gets the fault proxy).
    mesaUrl: mesaServer.url,
  });
  routeDataPlaneTo(ss.url);
  const conn = { apiKey: ss.apiKey, baseUrl: ss.url };
  const results: RunResult[] = [];
  try {
    const mesaProxy = await startFaultProxy(mesaServer.origin, 0);
    const ssProxy = await startFaultProxy(ss.url, 0);
    proxies.push(mesaProxy, ssProxy);
    const env = {
      MESA_API_URL: `${mesaProxy.origin}${new URL(mesaServer.url).pathname}`,
      MESA_API_KEY: mesaServer.apiKey,
      MESA_ORG: mesaServer.org,
      SUPERSERVE_BASE_URL: ssProxy.origin,
      SUPERSERVE_API_KEY: ss.apiKey,
    };
    console.log(
      `bench:faults — ${runs} first \`pulumi up\`s of ${count} sandboxes, ${Math.round(rate * 100)} % of the provider's requests to both backends failing`,
    );
    for (let i = 1; i <= runs; i++) {
      const id = `bf${i}-${Date.now().toString(36)}`;
      const project = await newProject(
        `bench-${id}`,
        environmentProgram(id, count),
        env,
        "ts-node",
      );
      const before = proxies.map((p) => ({ ...p.counts }));
      for (const p of proxies) p.setRate(rate);
      const started = performance.now();
      let error: string | undefined;
      try {
        await timePulumi(project, upArgs(count + 3), "up");
      } catch (err) {
        error = err instanceof Error ? err.message : String(err);
      }
      const ms = performance.now() - started;
      for (const p of proxies) p.setRate(0);
      const requests = proxies.reduce((n, p, k) => n + p.counts.requests - before[k].requests, 0);
      const faults = proxies.reduce((n, p, k) => n + p.counts.faults - before[k].faults, 0);
      const state = JSON.stringify((await project.stack.exportStack()).deployment);
      const live = await Sandbox.list({ ...conn, metadata: { bench: id } });
      const orphans = live.filter((s) => !state.includes(s.id)).length;
      const active = live.filter((s) => s.status === "active" && state.includes(s.id)).length;
      const outputs = error ? {} : await project.stack.outputs();
      const boxes = (outputs.sandboxes?.value ?? []) as Array<{ sandboxId: string }>;
      if (!error && (active !== count || boxes.length !== count))
        error = `${active} of ${count} sandboxes active and in the state`;
      results.push({ ok: !error, requests, faults, orphans, ms, error });
      console.log(
        `  run ${String(i).padStart(2)}: ${error ? "FAILED" : "ok    "} ${String(requests).padStart(4)} requests, ${String(faults).padStart(3)} faults, ${orphans} orphans, ${(ms / 1000).toFixed(1)} s${error ? `\n    ${error.split("\n").slice(-6).join("\n    ")}` : ""}`,
      );
      await timePulumi(project, destroyArgs(count + 3), "destroy").catch((err: unknown) =>
        console.error(`  destroy of ${id} failed: ${String(err)}`),
      );
      for (const s of await Sandbox.list({ ...conn, metadata: { bench: id } }))
        await Sandbox.killById(s.id, conn);
      rmSync(project.dir, { recursive: true, force: true });
    }
  } finally {
    for (const p of proxies) await p.close();
    await ss.stop();
    await mesaServer.stop();
    rmSync(work, { recursive: true, force: true });
  }
  const sum = (f: (r: RunResult) => number) => results.reduce((n, r) => n + f(r), 0);
  const times = results.map((r) => r.ms / 1000).sort((a, b) => a - b);
  console.log(
    `\nruns ${results.length}, successes ${results.filter((r) => r.ok).length}, requests ${sum((r) => r.requests)}, ` +
      `faults injected ${sum((r) => r.faults)} (${(
        (100 * sum((r) => r.faults)) /
        Math.max(
          1,
          sum((r) => r.requests),
        )
      ).toFixed(1)} %), ` +
      `orphans ${sum((r) => r.orphans)}, time per up median ${times[Math.floor(times.length / 2)].toFixed(1)} s / max ${times[times.length - 1].toFixed(1)} s`,
  );
  if (results.some((r) => !r.ok || r.orphans > 0)) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
