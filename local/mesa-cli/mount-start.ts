import { spawn } from "node:child_process";
import * as fs from "node:fs";
import { dirname } from "node:path";

/** Environment variable that marks the background child of `mesa mount -d`. */
export const DAEMON_CHILD_ENV = "MESA_LOCAL_DAEMON_CHILD";
/** File descriptor on which the child reports `ready …` or `error …` to its parent. */
const READY_FD = 3;

/**
 * Starts `mesa mount` again in the background (own session, output to `logFile`, no inherited
 * stdout so `commands.run` does not wait for it) and resolves once the child reports that the
 * initial checkout is done, or rejects with its error and the tail of its log.
 */
export function spawnDaemon(options: {
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
export function reportToParent(message: string): void {
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
