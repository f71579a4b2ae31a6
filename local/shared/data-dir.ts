import { mkdir, mkdtemp, rm } from "node:fs/promises";
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
 * directory named after `service` that is removed on close.
 */
export async function openDataDir(service: string, dir?: string): Promise<DataDir> {
  if (dir !== undefined && dir !== "") {
    const path = resolve(dir);
    await mkdir(path, { recursive: true });
    return { path, temporary: false, close: async () => undefined };
  }
  const path = await mkdtemp(join(tmpdir(), `local-${service}-`));
  return {
    path,
    temporary: true,
    close: () => rm(path, { recursive: true, force: true }),
  };
}
