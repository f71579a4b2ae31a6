/**
 * `npm run local -- start|stop [--all]|status [--json]`: run the embedded local backends (Mesa and
 * Superserve) in the background, with their data in `$PSM_LOCAL_DIR` or `./.local-data`.
 * `stop` freezes the sandboxes with their processes and the next `start` takes them back (like a
 * pause and resume on the service); `stop --all` ends every sandbox's processes as well.
 *
 * Ports: `PSM_MESA_PORT` (default 7780) and `PSM_SUPERSERVE_PORT` (default 7781).
 */
import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { defaultLocalDir, readLocalEndpoints, type LocalEndpoints } from "./endpoints";

const USAGE = "usage: npm run local -- start | stop [--all] | status [--json]";
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

async function stop(localDir: string, all: boolean): Promise<void> {
  const endpoints = running(localDir);
  if (!endpoints) {
    console.log("local backends: not running");
    return;
  }
  process.kill(endpoints.pid, all ? "SIGUSR1" : "SIGTERM");
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (isAlive(endpoints.pid)) {
    if (Date.now() > deadline) throw new Error(`pid ${endpoints.pid} did not stop within ${STOP_TIMEOUT_MS / 1000} s`);
    await sleep(100);
  }
  console.log(
    all
      ? `local backends: stopped, sandboxes ended (data kept in ${endpoints.dataDir})`
      : `local backends: stopped, sandboxes frozen until the next start (data kept in ${endpoints.dataDir}; \`stop --all\` ends them)`,
  );
}

async function main(argv: string[]): Promise<void> {
  const json = argv.includes("--json");
  const [command, ...rest] = argv.filter((a) => a !== "--json");
  const all = command === "stop" && rest[0] === "--all";
  if (all) rest.shift();
  if (rest.length > 0) throw new Error(`unexpected argument '${rest[0]}'\n${USAGE}`);
  const localDir = defaultLocalDir();
  switch (command) {
    case "start":
      return start(localDir, json);
    case "stop":
      return stop(localDir, all);
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
