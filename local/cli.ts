#!/usr/bin/env node
/**
 * `npm run local -- start|stop|status [--json]`: run the embedded local backends (Mesa and
 * Superserve) in the background, with their data in `$PSM_LOCAL_DIR` or `./.local-data`.
 *
 * Ports: `PSM_MESA_PORT` (default 7780) and `PSM_SUPERSERVE_PORT` (default 7781).
 */
import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { defaultLocalDir, readLocalEndpoints, type LocalEndpoints } from "pulumi-superserve-mesa/dist/provider/local-endpoints";

const USAGE = "usage: npm run local -- start|stop|status [--json]";
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 60_000;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The endpoints of backends that are running now, or undefined. */
function running(localDir: string): LocalEndpoints | undefined {
  const endpoints = readLocalEndpoints(localDir);
  return endpoints && isAlive(endpoints.pid) ? endpoints : undefined;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function printStatus(localDir: string, endpoints: LocalEndpoints | undefined, json: boolean): void {
  if (json) {
    console.log(JSON.stringify(endpoints ? { running: true, ...endpoints } : { running: false, dataDir: localDir }, null, 2));
    return;
  }
  if (!endpoints) {
    console.log(`local backends: stopped (data in ${localDir}). Start them with: npm run local -- start`);
    return;
  }
  console.log(
    [
      `local backends: running (pid ${endpoints.pid}, data in ${endpoints.dataDir})`,
      `  Mesa        ${endpoints.mesa.url}  org ${endpoints.mesa.org}  key ${endpoints.mesa.apiKey}`,
      `  Superserve  ${endpoints.superserve.url}  key ${endpoints.superserve.apiKey}`,
    ].join("\n"),
  );
}

async function start(localDir: string, json: boolean): Promise<void> {
  const already = running(localDir);
  if (already) return printStatus(localDir, already, json);
  mkdirSync(localDir, { recursive: true });
  const logPath = join(localDir, "local.log");
  const log = openSync(logPath, "a");
  const child = spawn(
    process.execPath,
    [
      join(__dirname, "serve.js"),
      localDir,
      process.env.PSM_MESA_PORT ?? "7780",
      process.env.PSM_SUPERSERVE_PORT ?? "7781",
    ],
    { detached: true, stdio: ["ignore", log, log] },
  );
  closeSync(log);
  child.unref();
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const endpoints = readLocalEndpoints(localDir);
    if (endpoints?.pid === child.pid) return printStatus(localDir, endpoints, json);
    if (child.pid === undefined || !isAlive(child.pid)) break;
    await sleep(100);
  }
  const tail = readFileSync(logPath, "utf8").split("\n").slice(-20).join("\n");
  throw new Error(`the local backends did not start; the end of ${logPath}:\n${tail}`);
}

async function stop(localDir: string): Promise<void> {
  const endpoints = running(localDir);
  if (!endpoints) {
    console.log("local backends: not running");
    return;
  }
  process.kill(endpoints.pid, "SIGTERM");
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (isAlive(endpoints.pid)) {
    if (Date.now() > deadline) throw new Error(`pid ${endpoints.pid} did not stop within ${STOP_TIMEOUT_MS / 1000} s`);
    await sleep(100);
  }
  console.log("local backends: stopped (data kept in " + endpoints.dataDir + ")");
}

async function main(argv: string[]): Promise<void> {
  const json = argv.includes("--json");
  const [command, ...rest] = argv.filter((a) => a !== "--json");
  if (rest.length > 0) throw new Error(`unexpected argument '${rest[0]}'\n${USAGE}`);
  const localDir = defaultLocalDir();
  switch (command) {
    case "start":
      return start(localDir, json);
    case "stop":
      return stop(localDir);
    case "status":
      return printStatus(localDir, running(localDir), json);
    default:
      throw new Error(command ? `unknown command '${command}'\n${USAGE}` : USAGE);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
