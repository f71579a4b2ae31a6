/**
 * Figures of the local Superserve: one-step template build, sandbox create → first exec,
 * exec round trip and a 1 MiB file write + read. Run as root: `npm run bench:superserve`.
 */
import { Sandbox, Template } from "@superserve/sdk";
import { startLocalSuperserve } from "../local/superserve";
import { routeDataPlaneTo } from "../provider/data-plane";

const N_CREATE = 10;
const N_EXEC = 50;

function stats(ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))].toFixed(1);
  return `median ${at(0.5)} ms, p95 ${at(0.95)} ms (n=${s.length})`;
}

async function main(): Promise<void> {
  const ss = await startLocalSuperserve({ killGraceMs: 1000 });
  routeDataPlaneTo(ss.url);
  const conn = { apiKey: ss.apiKey, baseUrl: ss.url };
  try {
    let t = performance.now();
    const tpl = await Template.create({
      ...conn,
      name: `bench-${Date.now()}`,
      from: "debian:12",
      steps: [{ run: "echo hi > /etc/bench.txt" }],
    });
    await tpl.waitUntilReady({ pollIntervalMs: 20 });
    console.log(
      `template build (one step, create → ready): ${(performance.now() - t).toFixed(0)} ms`,
    );

    const create: number[] = [];
    const sandboxes: Sandbox[] = [];
    for (let i = 0; i < N_CREATE; i++) {
      t = performance.now();
      const sb = await Sandbox.create({ ...conn, name: `bench-${i}`, fromTemplate: tpl.name });
      await sb.commands.run("true");
      create.push(performance.now() - t);
      sandboxes.push(sb);
    }
    console.log(`sandbox create → first exec: ${stats(create)} (target < 500 ms)`);

    const sb = sandboxes[0];
    const exec: number[] = [];
    for (let i = 0; i < N_EXEC; i++) {
      t = performance.now();
      await sb.commands.run("echo hi");
      exec.push(performance.now() - t);
    }
    console.log(`exec round trip: ${stats(exec)} (target < 30 ms)`);

    const mib = new Uint8Array(1024 * 1024).map((_, i) => i % 251);
    const files: number[] = [];
    for (let i = 0; i < 10; i++) {
      t = performance.now();
      await sb.files.write("/home/user/bench.bin", mib);
      const back = await sb.files.read("/home/user/bench.bin");
      if (back.length !== mib.length) throw new Error("1 MiB round trip returned the wrong size");
      files.push(performance.now() - t);
    }
    console.log(`1 MiB file write + read: ${stats(files)}`);
    await Promise.all(sandboxes.map((s) => s.kill()));
  } finally {
    await ss.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
