import { chmodSync, closeSync, mkdirSync, openSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

/** Where a local backend keeps its state. */
export interface DataDir {
  /** Absolute path of the directory. */
  readonly path: string;
  /** True when the directory is a temp dir that {@link DataDir.close} removes. */
  readonly temporary: boolean;
  /** Removes a temporary directory; keeps a directory the caller chose. */
  close(): Promise<void>;
}

/**
 * Opens a backend's data directory: `dir` (created if missing) when set, otherwise a fresh temp
 * directory named after `service` that is removed on close. Either way the directory is private
 * (mode 0700, see {@link privateDir}): it holds keys, databases and the sandboxes' disks.
 */
export async function openDataDir(service: string, dir?: string): Promise<DataDir> {
  if (dir !== undefined && dir !== "") {
    const path = resolve(dir);
    privateDir(path);
    return { path, temporary: false, close: async () => undefined };
  }
  const path = await mkdtemp(join(tmpdir(), `local-${service}-`));
  return {
    path,
    temporary: true,
    close: () => rm(path, { recursive: true, force: true }),
  };
}

/**
 * Creates `path` (and missing parents) with mode 0700, or takes the group's and others' bits off
 * an existing directory (a data dir made by an older version, 0755): no other host user may list
 * or enter it.
 */
export function privateDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  tighten(path, 0o700);
}

/** Takes off the bits of `path` beyond `mode` (nothing when it has none, or does not exist). */
export function tighten(path: string, mode: number): void {
  let current: number;
  try {
    current = statSync(path).mode & 0o7777;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  if ((current & ~mode) !== 0) chmodSync(path, current & mode);
}

/**
 * Makes the SQLite database `file` private before SQLite opens it: creates it empty with mode 0600
 * when missing (SQLite gives its `-wal`, `-shm` and `-journal` files the main file's mode when it
 * creates them), and takes the group's and others' bits off an existing one and its companions.
 */
export function privateDatabaseFile(file: string): void {
  closeSync(openSync(file, "a", 0o600));
  for (const f of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) tighten(f, 0o600);
}
