import * as fs from "node:fs";
import { join } from "node:path";
import type { RepoStats } from "./repo-sync";

/** What a running daemon publishes for `mesa stats`. */
export interface DaemonStats {
  pid: number;
  org: string;
  mountPoint: string;
  apiUrl: string;
  startedAt: string;
  /** `ok` while syncing; `failed` once the mount failed closed. */
  state: "ok" | "failed";
  reason: string | null;
  tokenExpiresAt: string | null;
  repos: RepoStats[];
}

/** The stats file of daemon `pid` in `runtimeDir`. */
export function statsFilePath(runtimeDir: string, pid: number): string {
  return join(runtimeDir, `mesa-${pid}.stats.json`);
}

/** Reads a daemon's stats, or undefined when the file is missing or unreadable. */
export function readStatsFile(path: string): DaemonStats | undefined {
  try {
    return JSON.parse(fs.readFileSync(path, "utf8")) as DaemonStats;
  } catch {
    return undefined;
  }
}
