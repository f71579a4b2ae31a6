/**
 * The process behind `pulumi-superserve-mesa-local start`: serves local Mesa and local Superserve from one data
 * directory until a signal, then stops both cleanly. SIGTERM/SIGINT (`stop`)
 * freeze the sandboxes with their processes, for the next start to take back (live restore);
 * SIGUSR1 (`stop --all`) ends them (they come back paused, files kept).
 *
 * Usage: node dist/serve.js (in this package) <localDir> <mesaPort> <superservePort> [<host>=<url> …]
 * (the test upstreams of `start --upstream`).
 */
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { endpointsPath } from "pulumi-superserve-mesa/local-endpoints";
import { writeLocalEndpoints } from "./endpoints";
import { startLocalMesa } from "./mesa";
import { startLocalSuperserve } from "./superserve";
import { prepareSandboxTools } from "./sandbox-tools";

async function main(): Promise<void> {
  const [localDir, mesaPort, superservePort, ...upstreamArgs] = process.argv.slice(2);
  if (!localDir) throw new Error("usage: serve.js <localDir> <mesaPort> <superservePort>");
  mkdirSync(localDir, { recursive: true });

  const mesa = await startLocalMesa({
    dataDir: join(localDir, "mesa"),
    port: Number(mesaPort ?? 0),
  });
  const superserve = await startLocalSuperserve({
    dataDir: join(localDir, "superserve"),
    port: Number(superservePort ?? 0),
    sandboxTools: await prepareSandboxTools(join(localDir, "sandbox-tools")),
    mesaUrl: mesa.url,
    upstreams: Object.fromEntries(
      upstreamArgs.map((a) => [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)]),
    ),
  });
  writeLocalEndpoints(localDir, {
    pid: process.pid,
    dataDir: localDir,
    mesa: { url: mesa.url, org: mesa.org, apiKey: mesa.apiKey },
    superserve: { url: superserve.url, apiKey: superserve.apiKey },
  });
  console.log(`local Mesa on ${mesa.url}, local Superserve on ${superserve.url}`);

  let stopping = false;
  const stop = async (signal: string, keepSandboxes: boolean) => {
    if (stopping) return;
    stopping = true;
    console.log(
      `${signal}: stopping the local backends (${keepSandboxes ? "sandboxes frozen for the next start" : "ending the sandboxes"})`,
    );
    rmSync(endpointsPath(localDir), { force: true });
    const results = await Promise.allSettled([superserve.stop({ keepSandboxes }), mesa.stop()]);
    for (const r of results) if (r.status === "rejected") console.error(r.reason);
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM", true));
  process.on("SIGINT", () => void stop("SIGINT", true));
  process.on("SIGUSR1", () => void stop("SIGUSR1", false));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exit(1);
});
