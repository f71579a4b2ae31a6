import { createHash } from "node:crypto";
import * as fs from "node:fs";
import { dirname, join } from "node:path";
import { writeFileAtomic } from "../shared/atomic-write";

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
interface ScanResult {
  tree: Tree;
  /** Every directory (repo-relative, '' = root), for the watcher. */
  dirs: string[];
}

const RACY_WINDOW_NS = 50_000_000n;
const TMP_PREFIX = ".mesa-tmp-";

/**
 * The on-disk working copy of one repo. It remembers what it last saw, so after the watcher marks
 * a few directories dirty only those are read again; a full scan reuses the hash of every file
 * whose stat is unchanged (one lstat per file).
 */
export class WorkingTree {
  private files = new Map<string, CachedEntry>();
  private dirs = new Set<string>();
  private dirty = new Set<string>();
  private fullScanDue = true;

  constructor(readonly root: string) {}

  /** Notes that entries of directory `dir` (repo-relative, '' = root) may have changed. */
  markDirty(dir: string): void {
    this.dirty.add(dir);
  }

  /** Makes the next {@link current} walk the whole tree (e.g. after the watcher lost events). */
  markAllDirty(): void {
    this.fullScanDue = true;
  }

  /** The working copy as it is now: a full walk when due, otherwise only the dirty directories again. */
  current(): ScanResult {
    const startNs = BigInt(Date.now()) * 1_000_000n;
    if (this.fullScanDue) {
      this.fullScanDue = false;
      this.dirty.clear();
      this.dirs = new Set();
      const old = this.files;
      this.files = new Map();
      this.walk("", startNs, old);
    } else {
      const dirty = [...this.dirty];
      this.dirty.clear();
      for (const [path, cached] of this.files) if (cached.racy) this.refreshFile(path, startNs);
      for (const dir of dirty) this.rescanDir(dir, startNs);
    }
    const tree: Tree = new Map();
    for (const [path, cached] of this.files) tree.set(path, cached.entry);
    return { tree, dirs: [...this.dirs] };
  }

  /** A full walk of the working copy (same as {@link markAllDirty} then {@link current}). */
  scan(): ScanResult {
    this.markAllDirty();
    return this.current();
  }

  private walk(rel: string, startNs: bigint, previous: Map<string, CachedEntry>): void {
    this.dirs.add(rel);
    for (const dirent of readDir(join(this.root, rel))) {
      const path = rel === "" ? dirent.name : `${rel}/${dirent.name}`;
      if (dirent.isDirectory()) this.walk(path, startNs, previous);
      else if (isTracked(dirent)) this.addFile(path, startNs, previous.get(path));
    }
  }

  private rescanDir(dir: string, startNs: bigint): void {
    if (!this.dirs.has(dir)) return;
    const abs = join(this.root, dir);
    if (!isDirectory(abs)) {
      this.forgetDir(dir);
      return;
    }
    const prefix = dir === "" ? "" : `${dir}/`;
    const seen = new Set<string>();
    for (const dirent of readDir(abs)) {
      const path = prefix + dirent.name;
      seen.add(path);
      if (dirent.isDirectory()) {
        if (this.files.has(path)) this.files.delete(path);
        if (!this.dirs.has(path)) this.walk(path, startNs, new Map());
      } else if (isTracked(dirent)) {
        if (this.dirs.has(path)) this.forgetDir(path);
        this.addFile(path, startNs, this.files.get(path));
      }
    }
    for (const path of [...this.files.keys()]) {
      if (path.startsWith(prefix) && !path.slice(prefix.length).includes("/") && !seen.has(path))
        this.files.delete(path);
    }
    for (const sub of [...this.dirs]) {
      if (
        sub !== dir &&
        sub.startsWith(prefix) &&
        !sub.slice(prefix.length).includes("/") &&
        !seen.has(sub)
      )
        this.forgetDir(sub);
    }
  }

  private forgetDir(dir: string): void {
    const prefix = `${dir}/`;
    this.dirs.delete(dir);
    for (const sub of [...this.dirs]) if (sub.startsWith(prefix)) this.dirs.delete(sub);
    for (const path of [...this.files.keys()]) if (path.startsWith(prefix)) this.files.delete(path);
  }

  private refreshFile(path: string, startNs: bigint): void {
    const cached = this.readEntry(path, startNs, this.files.get(path));
    if (cached === undefined) this.files.delete(path);
    else this.files.set(path, cached);
  }

  private addFile(path: string, startNs: bigint, previous: CachedEntry | undefined): void {
    const cached = this.readEntry(path, startNs, previous);
    if (cached !== undefined) this.files.set(path, cached);
    else this.files.delete(path);
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
      return {
        entry: { mode: stat.mode & 0o100 ? "100755" : "100644", sha: gitBlobSha(bytes) },
        bytes,
      };
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
    const tmpPath = join(
      dirname(abs),
      `${TMP_PREFIX}${process.pid}-${Math.random().toString(36).slice(2)}`,
    );
    // The working tree is derived from the remote again after a crash: no flush needed.
    writeFileAtomic(abs, bytes, {
      mode: mode === "100755" ? 0o755 : 0o644,
      tmpPath,
      fsync: false,
    });
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

  private readEntry(
    path: string,
    startNs: bigint,
    old: CachedEntry | undefined,
  ): CachedEntry | undefined {
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
    if (old !== undefined && !old.racy && sameKey(old.key, key)) return old;
    const read = this.read(path);
    if (read === undefined) return undefined;
    const racy =
      startNs - (stat.mtimeNs > stat.ctimeNs ? stat.mtimeNs : stat.ctimeNs) < RACY_WINDOW_NS;
    return { key, entry: read.entry, racy };
  }

  private clearParents(path: string): void {
    const parts = path.split("/").slice(0, -1);
    let rel = "";
    for (const part of parts) {
      rel = rel === "" ? part : `${rel}/${part}`;
      const stat = lstatOrUndefined(join(this.root, rel));
      if (stat !== undefined && !stat.isDirectory())
        fs.rmSync(join(this.root, rel), { force: true });
    }
    fs.mkdirSync(join(this.root, dirname(path)), { recursive: true });
  }
}

function readDir(abs: string): fs.Dirent[] {
  try {
    return fs.readdirSync(abs, { withFileTypes: true });
  } catch {
    return [];
  }
}

function isTracked(dirent: fs.Dirent): boolean {
  return (dirent.isFile() || dirent.isSymbolicLink()) && !dirent.name.startsWith(TMP_PREFIX);
}

function isDirectory(abs: string): boolean {
  return lstatOrUndefined(abs)?.isDirectory() ?? false;
}

function sameKey(a: StatKey, b: StatKey): boolean {
  return (
    a.size === b.size &&
    a.mtimeNs === b.mtimeNs &&
    a.ctimeNs === b.ctimeNs &&
    a.ino === b.ino &&
    a.mode === b.mode
  );
}

function lstatOrUndefined(path: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(path);
  } catch {
    return undefined;
  }
}
