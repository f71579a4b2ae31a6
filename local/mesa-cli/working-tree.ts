import { createHash } from "node:crypto";
import * as fs from "node:fs";
import { dirname, join } from "node:path";

/** Git file modes the Mesa content API uses. */
export type FileMode = "100644" | "100755" | "120000";

/** A file or symlink as stored in Mesa: mode and git blob id of its bytes (link target for symlinks). */
export interface TreeEntry {
  mode: FileMode;
  sha: string;
}

/** Repo-relative POSIX path → entry. Directories are implied by their files (as in git). */
export type Tree = Map<string, TreeEntry>;

/** The git blob id of `bytes`, which is what Mesa's content API reports as `sha`. */
export function gitBlobSha(bytes: Buffer): string {
  return createHash("sha1").update(`blob ${bytes.length}\0`).update(bytes).digest("hex");
}

/** Paths whose entry differs between `base` and `current` (added, changed or removed). */
export function changedPaths(base: Tree, current: Tree): string[] {
  const paths: string[] = [];
  for (const [path, entry] of current) {
    const old = base.get(path);
    if (old === undefined || old.sha !== entry.sha || old.mode !== entry.mode) paths.push(path);
  }
  for (const path of base.keys()) if (!current.has(path)) paths.push(path);
  return paths.sort();
}

interface StatKey {
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  ino: bigint;
  mode: bigint;
}

interface CachedEntry {
  key: StatKey;
  entry: TreeEntry;
  /** Modified so close to the scan that a same-timestamp rewrite could be missed: hash again next time. */
  racy: boolean;
}

/** Result of scanning the working copy. */
export interface ScanResult {
  tree: Tree;
  /** Every directory (repo-relative, '' = root), for the watcher. */
  dirs: string[];
}

const RACY_WINDOW_NS = 50_000_000n;
const TMP_PREFIX = ".mesa-tmp-";

/**
 * The on-disk working copy of one repo. Scans reuse the hash of a file whose stat is unchanged,
 * so a rescan of an idle tree costs one lstat per file.
 */
export class WorkingTree {
  private cache = new Map<string, CachedEntry>();

  constructor(readonly root: string) {}

  /** Walks the working copy and returns its files, symlinks and directories. */
  scan(): ScanResult {
    const startNs = BigInt(Date.now()) * 1_000_000n;
    const tree: Tree = new Map();
    const dirs: string[] = [];
    const next = new Map<string, CachedEntry>();
    const walk = (rel: string): void => {
      dirs.push(rel);
      let names: fs.Dirent[];
      try {
        names = fs.readdirSync(join(this.root, rel), { withFileTypes: true });
      } catch {
        return;
      }
      for (const dirent of names) {
        const path = rel === "" ? dirent.name : `${rel}/${dirent.name}`;
        if (dirent.isDirectory()) {
          walk(path);
          continue;
        }
        if (!dirent.isFile() && !dirent.isSymbolicLink()) continue;
        if (dirent.name.startsWith(TMP_PREFIX)) continue;
        const cached = this.readEntry(path, startNs);
        if (cached === undefined) continue;
        next.set(path, cached);
        tree.set(path, cached.entry);
      }
    };
    walk("");
    this.cache = next;
    return { tree, dirs };
  }

  /** Reads the bytes to upload for `path` with the entry they correspond to; undefined if gone. */
  read(path: string): { entry: TreeEntry; bytes: Buffer } | undefined {
    const abs = join(this.root, path);
    try {
      const stat = fs.lstatSync(abs);
      if (stat.isSymbolicLink()) {
        const bytes = Buffer.from(fs.readlinkSync(abs), "utf8");
        return { entry: { mode: "120000", sha: gitBlobSha(bytes) }, bytes };
      }
      if (!stat.isFile()) return undefined;
      const bytes = fs.readFileSync(abs);
      return { entry: { mode: stat.mode & 0o100 ? "100755" : "100644", sha: gitBlobSha(bytes) }, bytes };
    } catch {
      return undefined;
    }
  }

  /** Writes a file or symlink as Mesa has it, replacing whatever is in the way. */
  write(path: string, mode: FileMode, bytes: Buffer): void {
    const abs = join(this.root, path);
    this.clearParents(path);
    const existing = lstatOrUndefined(abs);
    if (existing?.isDirectory()) fs.rmSync(abs, { recursive: true, force: true });
    if (mode === "120000") {
      if (existing !== undefined && !existing.isDirectory()) fs.rmSync(abs, { force: true });
      fs.symlinkSync(bytes.toString("utf8"), abs);
      return;
    }
    if (existing?.isSymbolicLink()) fs.rmSync(abs, { force: true });
    const tmp = join(dirname(abs), `${TMP_PREFIX}${process.pid}-${Math.random().toString(36).slice(2)}`);
    fs.writeFileSync(tmp, bytes, { mode: mode === "100755" ? 0o755 : 0o644 });
    fs.chmodSync(tmp, mode === "100755" ? 0o755 : 0o644);
    fs.renameSync(tmp, abs);
  }

  /** Removes a file or symlink and the directories it leaves empty (git has no empty dirs). */
  remove(path: string): void {
    const abs = join(this.root, path);
    const existing = lstatOrUndefined(abs);
    if (existing === undefined || existing.isDirectory()) return;
    fs.rmSync(abs, { force: true });
    let dir = dirname(path);
    while (dir !== "." && dir !== "") {
      try {
        fs.rmdirSync(join(this.root, dir));
      } catch {
        break;
      }
      dir = dirname(dir);
    }
  }

  private readEntry(path: string, startNs: bigint): CachedEntry | undefined {
    let stat: fs.BigIntStats;
    try {
      stat = fs.lstatSync(join(this.root, path), { bigint: true });
    } catch {
      return undefined;
    }
    const key: StatKey = {
      size: stat.size,
      mtimeNs: stat.mtimeNs,
      ctimeNs: stat.ctimeNs,
      ino: stat.ino,
      mode: stat.mode,
    };
    const old = this.cache.get(path);
    if (old !== undefined && !old.racy && sameKey(old.key, key)) return old;
    const read = this.read(path);
    if (read === undefined) return undefined;
    const racy = startNs - (stat.mtimeNs > stat.ctimeNs ? stat.mtimeNs : stat.ctimeNs) < RACY_WINDOW_NS;
    return { key, entry: read.entry, racy };
  }

  private clearParents(path: string): void {
    const parts = path.split("/").slice(0, -1);
    let rel = "";
    for (const part of parts) {
      rel = rel === "" ? part : `${rel}/${part}`;
      const stat = lstatOrUndefined(join(this.root, rel));
      if (stat !== undefined && !stat.isDirectory()) fs.rmSync(join(this.root, rel), { force: true });
    }
    fs.mkdirSync(join(this.root, dirname(path)), { recursive: true });
  }
}

function sameKey(a: StatKey, b: StatKey): boolean {
  return a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs && a.ino === b.ino && a.mode === b.mode;
}

function lstatOrUndefined(path: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(path);
  } catch {
    return undefined;
  }
}
