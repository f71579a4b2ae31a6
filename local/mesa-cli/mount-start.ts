/**
 * How a mount starts, end to end — the one place that tells it:
 *
 * 1. The provider's `mount()` (`provider/mounted-sandbox/mount.ts`) runs shell lines from
 *    `provider/mounted-sandbox/mount-commands.ts` in the sandbox through `commands.run`: install
 *    the CLI per policy, then `mesa mount -d -y` (`startLines`, with the signed token in that
 *    command's environment only, and a start id so a retried start finds its daemon), then a
 *    wait until every repo's files are served.
 * 2. `mesa mount -d` reaches {@link startMount} here, through `main.ts`'s argument parsing.
 * 3. With `-d`, this process is the parent: it starts `mesa mount` again as a detached child
 *    (own session, output to the daemon log, a pipe on fd 3 to report back) and exits 0 once the
 *    child reports `ready …`, or fails with the child's error and the log's tail.
 * 4. The child (or `mesa mount` without `-d`) runs `runMount` (`daemon.ts`): checks the repos out
 *    under the mount point, writes the PID file, reports ready, then syncs edits both ways until
 *    SIGTERM, when it flushes and exits.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import { dirname } from "node:path";
import { readMountConfig } from "./config";
import { runMount } from "./daemon";
import { useProxyFromEnv } from "./proxy";

/** Environment variable that marks the background child of `mesa mount -d`. */
const DAEMON_CHILD_ENV = "MESA_LOCAL_DAEMON_CHILD";
/** File descriptor on which the child reports `ready …` or `error …` to its parent. */
const READY_FD = 3;

/**
 * `mesa mount [-d]`: as the parent of `-d`, starts the daemon and returns 0 once it is ready;
 * otherwise runs the mount in this process, which then lives until the mount stops (returns -1:
 * no exit code to set).
 */
export async function startMount(daemonize: boolean): Promise<number> {
  const isChild = process.env[DAEMON_CHILD_ENV] === "1";
  const config = readMountConfig(process.env, daemonize || isChild);
  if (daemonize && !isChild) {
    const summary = await spawnDaemon({
      script: process.argv[1],
      args: ["mount"],
      logFile: config.logFile ?? `${config.runtimeDir}/daemon.log`,
    });
    process.stdout.write(`mesa: ${summary}\n`);
    return 0;
  }
  // Only the process that talks to Mesa pays for the proxy agent (not `-d`'s parent, not `stats`).
  useProxyFromEnv(process.env);
  const log = makeLogger(isChild ? undefined : config.logFile);
  try {
    await runMount(config, {
      log,
      onReady: (summary) => {
        if (isChild) reportToParent(`ready ${summary}`);
        else if (config.logFile !== undefined) process.stdout.write(`mesa: ${summary}\n`);
      },
      exit: (code) => process.exit(code),
    });
  } catch (error) {
    if (isChild) reportToParent(`error ${messageOf(error)}`);
    throw error;
  }
  return -1;
}

/** An error's message, for the CLI's one-line reports. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function makeLogger(file: string | undefined): (message: string) => void {
  const fd = file === undefined ? 1 : fs.openSync(file, "a");
  return (message) => {
    try {
      fs.writeSync(fd, `${new Date().toISOString()} mesa: ${message}\n`);
    } catch {
      // The log is best effort; the mount keeps syncing.
    }
  };
}

/**
 * Starts `mesa mount` again in the background (own session, output to `logFile`, no inherited
 * stdout so `commands.run` does not wait for it) and resolves once the child reports that the
 * initial checkout is done, or rejects with its error and the tail of its log.
 */
function spawnDaemon(options: {
  script: string;
  args: string[];
  logFile: string;
}): Promise<string> {
  fs.mkdirSync(dirname(options.logFile), { recursive: true });
  const logFd = fs.openSync(options.logFile, "a");
  const child = spawn(process.execPath, [options.script, ...options.args], {
    detached: true,
    stdio: ["ignore", logFd, logFd, "pipe"],
    env: { ...process.env, [DAEMON_CHILD_ENV]: "1" },
  });
  fs.closeSync(logFd);
  return new Promise((resolve, reject) => {
    let report = "";
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      child.unref();
      (child.stdio[READY_FD] as NodeJS.ReadableStream & { destroy(): void }).destroy();
      fn();
    };
    const channel = child.stdio[READY_FD] as NodeJS.ReadableStream;
    channel.setEncoding("utf8");
    channel.on("data", (chunk: string) => {
      report += chunk;
      const line = report.split("\n")[0];
      if (!report.includes("\n")) return;
      if (line.startsWith("ready ")) settle(() => resolve(line.slice("ready ".length)));
      else settle(() => reject(new Error(line.replace(/^error /, ""))));
    });
    channel.on("error", () => undefined);
    child.on("exit", (code, signal) => {
      settle(() =>
        reject(
          new Error(
            `the mesa daemon exited (${signal ?? `code ${code}`}) before the mount was ready; log ${options.logFile}:\n${logTail(options.logFile)}`,
          ),
        ),
      );
    });
  });
}

/** In the background child: tells the parent the mount is ready (or failed) and closes the channel. */
function reportToParent(message: string): void {
  try {
    fs.writeSync(READY_FD, `${message.replace(/\n/g, " ")}\n`);
    fs.closeSync(READY_FD);
  } catch {
    // The parent is gone (e.g. killed while waiting): nothing to tell.
  }
}

function logTail(path: string): string {
  try {
    return fs.readFileSync(path, "utf8").split("\n").slice(-15).join("\n");
  } catch {
    return "(no log)";
  }
}
