import { closeSync, fchmodSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { rename, rm } from "node:fs/promises";

/** Options of {@link writeFileAtomic}. */
interface AtomicWriteOptions {
  /**
   * Permission bits of the file, exact (the umask does not narrow them). The temporary file is
   * created with them, so a private file (0600) is never readable by others, not even for a moment.
   * @default 0o666 narrowed by the umask, as `writeFileSync` creates a file
   */
  mode?: number;
  /** The temporary file; it must be on the same file system as the target. @default `<path>.<pid>.tmp` */
  tmpPath?: string;
  /**
   * Flush the content to the disk before the rename, so that a crash leaves the old file or the
   * new one whole. Skip it only for a copy that is derived again after a crash (a working tree).
   * @default true
   */
  fsync?: boolean;
}

/**
 * Replaces `path` so that readers see the old content or the new, never a part: writes a
 * temporary file beside it (created with `mode`), flushes it, then renames it over `path`.
 *
 * @example
 * writeFileAtomic(join(dataDir, "api-key"), `${key}\n`, { mode: 0o600 });
 */
export function writeFileAtomic(
  path: string,
  data: string | Buffer,
  opts: AtomicWriteOptions = {},
): void {
  const tmp = opts.tmpPath ?? `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, "w", opts.mode ?? 0o666);
  try {
    if (opts.mode !== undefined) fchmodSync(fd, opts.mode);
    const bytes = typeof data === "string" ? Buffer.from(data) : data;
    for (let off = 0; off < bytes.length;) off += writeSync(fd, bytes, off);
    if (opts.fsync ?? true) fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw error;
  }
  closeSync(fd);
  renameSync(tmp, path);
}

/**
 * Publishes a directory written whole under another name (`staging`, on the same file system)
 * at `dir` by renaming it, so that no reader ever sees half of one.
 *
 * For content named by what it holds (a cache key), where any finished copy is as good as
 * another: when `dir` exists already — another process or call published it first — the first
 * one wins, `staging` is removed, and the answer is `false`. Any other failure removes `staging`
 * and is thrown.
 *
 * @example
 * await publishDir(`${dir}.${process.pid}.tmp`, dir);
 */
export async function publishDir(staging: string, dir: string): Promise<boolean> {
  try {
    await rename(staging, dir);
    return true;
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOTEMPTY" || code === "EEXIST") return false;
    throw error;
  }
}
