import { chmodSync, renameSync, writeFileSync } from "node:fs";

/** Options of {@link writeFileAtomic}. */
interface AtomicWriteOptions {
  /** Permission bits of the file, set exactly (the umask does not narrow them). @default as `writeFileSync` creates it */
  mode?: number;
  /** The temporary file; it must be on the same file system as the target. @default `<path>.<pid>.tmp` */
  tmpPath?: string;
}

/**
 * Replaces `path` so that readers see the old content or the new, never a part: writes a
 * temporary file beside it, then renames that over `path`.
 */
export function writeFileAtomic(
  path: string,
  data: string | Buffer,
  opts: AtomicWriteOptions = {},
): void {
  const tmp = opts.tmpPath ?? `${path}.${process.pid}.tmp`;
  if (opts.mode === undefined) {
    writeFileSync(tmp, data);
  } else {
    writeFileSync(tmp, data, { mode: opts.mode });
    chmodSync(tmp, opts.mode);
  }
  renameSync(tmp, path);
}
