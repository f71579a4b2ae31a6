#!/usr/bin/env node
/**
 * `pulumi-superserve-mesa-local start|stop [--all]|status [--json]`: runs the embedded local
 * backends (Mesa and Superserve) in the background; see {@link HELP} for the flags and environment.
 * `stop` freezes the sandboxes with their processes and the next `start` takes them back (like a
 * pause and resume on the service); `stop --all` ends every sandbox's processes as well.
 */
import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  LOCAL_DIR_ENV,
  readLocalEndpoints,
  type LocalEndpoints,
} from "pulumi-superserve-mesa/local-endpoints";
import { HELP, parseCli, START_HINT, UsageError, type CliRequest } from "./cli-options";

const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 60_000;

type Run = Extract<CliRequest, { help: false }>;

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

function startCommand(run: Run): string {
  return run.providersLookElsewhere ? `${START_HINT} --data-dir ${run.localDir}` : START_HINT;
}

function printStatus(run: Run, endpoints: LocalEndpoints | undefined): void {
  if (run.json) {
    console.log(
      JSON.stringify(
        endpoints ? { running: true, ...endpoints } : { running: false, dataDir: run.localDir },
        null,
        2,
      ),
    );
    return;
  }
  if (!endpoints) {
    console.log(
      `local backends: stopped (data in ${run.localDir}). Start them with: ${startCommand(run)}`,
    );
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

function portOf(url: string): number {
  return Number(new URL(url).port);
}

/** Backends already running on other ports than the ones asked for cannot satisfy the request. */
function checkPorts(run: Run, endpoints: LocalEndpoints): void {
  const wrong = (
    [
      ["Mesa", run.requestedPorts.mesa, endpoints.mesa.url],
      ["Superserve", run.requestedPorts.superserve, endpoints.superserve.url],
    ] as const
  ).filter(([, wanted, url]) => wanted !== undefined && wanted !== 0 && wanted !== portOf(url));
  if (wrong.length > 0) {
    const what = wrong
      .map(([name, wanted, url]) => `${name} on ${url}, not port ${wanted}`)
      .join("; ");
    throw new UsageError(
      `the local backends in ${run.localDir} already run (pid ${endpoints.pid}): ${what}. Stop them first to change ports.`,
    );
  }
}

async function start(run: Run): Promise<void> {
  const already = running(run.localDir);
  if (already) {
    checkPorts(run, already);
    return printStatus(run, already);
  }
  mkdirSync(run.localDir, { recursive: true });
  const logPath = join(run.localDir, "local.log");
  const log = openSync(logPath, "a");
  const child = spawn(
    process.execPath,
    [
      join(__dirname, "serve.js"),
      run.localDir,
      String(run.ports.mesa),
      String(run.ports.superserve),
      ...Object.entries(run.upstreams ?? {}).map(([host, url]) => `${host}=${url}`),
    ],
    { detached: true, stdio: ["ignore", log, log] },
  );
  closeSync(log);
  child.unref();
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const endpoints = readLocalEndpoints(run.localDir);
    if (endpoints?.pid === child.pid) {
      printStatus(run, endpoints);
      if (run.providersLookElsewhere && !run.json) {
        console.error(
          `note: the providers look in $${LOCAL_DIR_ENV}, else <project dir>/.local-data; run pulumi with ${LOCAL_DIR_ENV}=${run.localDir}`,
        );
      }
      return;
    }
    if (child.pid === undefined || !isAlive(child.pid)) break;
    await sleep(100);
  }
  const tail = readFileSync(logPath, "utf8").split("\n").slice(-20).join("\n");
  throw new Error(`the local backends did not start; the end of ${logPath}:\n${tail}`);
}

async function stop(run: Run): Promise<void> {
  const endpoints = running(run.localDir);
  if (endpoints) {
    process.kill(endpoints.pid, run.all ? "SIGUSR1" : "SIGTERM");
    const deadline = Date.now() + STOP_TIMEOUT_MS;
    while (isAlive(endpoints.pid)) {
      if (Date.now() > deadline)
        throw new Error(`pid ${endpoints.pid} did not stop within ${STOP_TIMEOUT_MS / 1000} s`);
      await sleep(100);
    }
  }
  if (run.json) console.log(JSON.stringify({ running: false, dataDir: run.localDir }, null, 2));
  else if (!endpoints) console.log("local backends: not running");
  else if (run.all)
    console.log(`local backends: stopped, sandboxes ended (data kept in ${run.localDir})`);
  else
    console.log(
      `local backends: stopped, sandboxes frozen until the next start (data kept in ${run.localDir}; \`stop --all\` ends them)`,
    );
}

async function main(argv: string[]): Promise<void> {
  const request = parseCli(argv);
  if (request.help) {
    process.stdout.write(HELP);
    return;
  }
  switch (request.command) {
    case "start":
      return start(request);
    case "stop":
      return stop(request);
    case "status":
      return printStatus(request, running(request.localDir));
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(error instanceof UsageError ? 2 : 1);
});
