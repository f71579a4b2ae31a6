/**
 * The process behind `pulumi-superserve-mesa-local start`: serves local Mesa and local Superserve from one data
 * directory until SIGTERM/SIGINT, then stops both cleanly (sandboxes come back paused next time).
 *
 * Usage: node dist/serve.js (in this package) <localDir> <mesaPort> <superservePort>
 */
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { endpointsPath } from "pulumi-superserve-mesa/dist/provider/local-endpoints";
import { writeLocalEndpoints } from "./endpoints";
import { startLocalMesa } from "./mesa";
import { startLocalSuperserve } from "./superserve";
import { prepareSandboxTools } from "./sandbox-tools";

async function main(): Promise<void> {
  const [localDir, mesaPort, superservePort] = process.argv.slice(2);
  if (!localDir) throw new Error("usage: serve.js <localDir> <mesaPort> <superservePort>");
  mkdirSync(localDir, { recursive: true });

  const mesa = await startLocalMesa({ dataDir: join(localDir, "mesa"), port: Number(mesaPort ?? 0) });
  const superserve = await startLocalSuperserve({
    dataDir: join(localDir, "superserve"),
    port: Number(superservePort ?? 0),
    sandboxTools: await prepareSandboxTools(join(localDir, "sandbox-tools")),
  });
  writeLocalEndpoints(localDir, {
    pid: process.pid,
    dataDir: localDir,
    mesa: { url: mesa.url, org: mesa.org, apiKey: mesa.apiKey },
    superserve: { url: superserve.url, apiKey: superserve.apiKey },
  });
  console.log(`local Mesa on ${mesa.url}, local Superserve on ${superserve.url}`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping the local backends`);
    rmSync(endpointsPath(localDir), { force: true });
    await Promise.allSettled([superserve.stop(), mesa.stop()]);
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exit(1);
});
