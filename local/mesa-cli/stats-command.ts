import * as fs from "node:fs";
import { dirname, join } from "node:path";
import { readStatsFile, statsFilePath, type DaemonStats } from "./stats-file";

/** Output and exit code of `mesa stats`. */
interface StatsResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/**
 * `mesa stats [--pid P | --pid-file F] [--format text|json]`: reads what the daemon publishes in
 * its runtime dir. Exits 1 when no daemon runs and 3 when the mount failed closed.
 */
export function runStats(options: {
  pid?: number;
  pidFile?: string;
  format: "text" | "json";
  runtimeDir: string;
}): StatsResult {
  const pidFile = options.pidFile ?? join(options.runtimeDir, "mesa.pid");
  let pid = options.pid;
  if (pid === undefined) {
    try {
      pid = Number(fs.readFileSync(pidFile, "utf8").trim());
    } catch {
      return fail(
        `error: no mesa daemon: cannot read PID file ${pidFile}; start one with \`mesa mount -d\``,
      );
    }
  }
  if (!alive(pid))
    return fail(`error: no mesa daemon runs with pid ${pid}; start one with \`mesa mount -d\``);
  const dir = options.pidFile !== undefined ? dirname(options.pidFile) : options.runtimeDir;
  const stats = readStatsFile(statsFilePath(dir, pid));
  if (stats === undefined) {
    return fail(
      `error: process ${pid} publishes no mesa stats in ${dir}; is it a mesa daemon with this MESA_RUNTIME_DIR?`,
    );
  }
  const stdout =
    options.format === "json" ? `${JSON.stringify(stats, null, 2)}\n` : formatText(stats);
  return { stdout, stderr: "", exitCode: stats.state === "failed" ? 3 : 0 };
}

function formatText(stats: DaemonStats): string {
  const lines = [
    `pid:          ${stats.pid}`,
    `state:        ${stats.state}${stats.reason ? ` — ${stats.reason}` : ""}`,
    `org:          ${stats.org}`,
    `mount point:  ${stats.mountPoint}`,
    `api:          ${stats.apiUrl}`,
    `started:      ${stats.startedAt}`,
    `token expiry: ${stats.tokenExpiresAt ?? "none (API key)"}`,
    "repos:",
  ];
  for (const repo of stats.repos) {
    lines.push(
      `  ${repo.repo} @ ${repo.rev}${repo.readOnly ? " (read-only)" : ""}: ${repo.state}, change ${repo.changeId}, ` +
        `${repo.files} files, ${repo.changesWritten} changes written (${repo.filesUploaded} file ops), ` +
        `${repo.pendingPaths} pending, ${repo.remoteUpdates} remote updates, ${repo.conflictsReapplied} conflicts re-applied` +
        (repo.refusedPaths.length > 0 ? `, refused by Mesa: ${repo.refusedPaths.join(" ")}` : "") +
        (repo.lastError ? `, last error: ${repo.lastError}` : ""),
    );
  }
  return `${lines.join("\n")}\n`;
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function fail(message: string): StatsResult {
  return { stdout: "", stderr: `${message}\n`, exitCode: 1 };
}
