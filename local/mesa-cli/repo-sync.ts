import * as fs from "node:fs";
import { dirname } from "node:path";
import { writeFileAtomic } from "../shared/atomic-write";
import type { RepoRev } from "./config";
import { DirWatcher } from "./dir-watcher";
import { MesaApiError, type FileOp, type MesaApi, type Person } from "./mesa-api";
import { ReadOnlyGuard, type LockMethod } from "./read-only";
import { fetchFiles, listRemoteTree, prefetchAll, type RemoteRef } from "./remote-tree";
import { changedPaths, WorkingTree, type Tree, type TreeEntry } from "./working-tree";

/** Writes one line to the daemon log. */
export type Logger = (message: string) => void;

/** Options of {@link RepoSync}. */
interface RepoSyncOptions {
  api: MesaApi;
  org: string;
  repo: string;
  rev: RepoRev;
  /** Working copy directory: `<mount point>/<org>/<repo>`. */
  root: string;
  readOnly: boolean;
  /** JSON file keeping the last synced tree, so a restarted daemon finds unsynced edits. */
  stateFile: string;
  author: Person;
  debounceMs: number;
  pollMs: number;
  log: Logger;
  /** Called when counters or state change (the daemon rewrites its stats file). */
  onUpdate: () => void;
  /** Called when Mesa rejects the credential (401): the whole mount must fail closed. */
  onCredentialRejected: (reason: string) => void;
  guard?: ReadOnlyGuard;
  /** Upper bounds of one change; larger edit sets are split into several changes. */
  maxFilesPerChange?: number;
  maxBytesPerChange?: number;
}

/** Counters and state of one mounted repo, shown by `mesa stats`. */
export interface RepoStats {
  repo: string;
  rev: string;
  readOnly: boolean;
  lockedBy: LockMethod | null;
  state: "starting" | "synced" | "pending" | "failed";
  changeId: string;
  files: number;
  changesWritten: number;
  filesUploaded: number;
  pendingPaths: number;
  /** Paths Mesa refused (e.g. too large); they stay local until they change. */
  refusedPaths: string[];
  remoteUpdates: number;
  conflictsReapplied: number;
  lastSyncAt: string | null;
  lastError: string | null;
}

interface SavedState {
  rev: string;
  tip: string;
  base: [string, TreeEntry][];
}

const MAX_ATTEMPTS = 5;
/** A full walk of the working copy every so many polls catches anything the watcher missed. */
const FULL_SCAN_EVERY_POLLS = 15;
const FLUSH_RETRY_MS = 250;

/**
 * Keeps one repo's working copy and its Mesa revision in sync: checks the revision out, watches
 * the directory, writes each batch of edits as a change and moves the bookmark to it (or amends
 * the change for `change-id:` mounts), and brings in changes others make to the bookmark.
 */
export class RepoSync {
  private readonly tree: WorkingTree;
  private readonly guard: ReadOnlyGuard;
  private readonly watcher: DirWatcher;
  /** The tree of {@link tip} as last synced: local differences from it are pending edits. */
  private base: Tree = new Map();
  /** Bookmark mounts: the change the bookmark points at. Change mounts: the change's commit oid. */
  private tip = "";
  private queue: Promise<void> = Promise.resolve();
  private debounceTimer: NodeJS.Timeout | undefined;
  private firstEventAt = 0;
  private pollTimer: NodeJS.Timeout | undefined;
  private rejected = new Map<string, string>();
  private readonly stats: RepoStats;

  constructor(private readonly options: RepoSyncOptions) {
    this.tree = new WorkingTree(options.root);
    this.guard = options.guard ?? new ReadOnlyGuard(options.root);
    this.watcher = new DirWatcher(options.root, (dir) => {
      if (dir === undefined) this.tree.markAllDirty();
      else this.tree.markDirty(dir);
      this.schedule();
    });
    this.stats = {
      repo: `${options.org}/${options.repo}`,
      rev: revLabel(options.rev),
      readOnly: options.readOnly,
      lockedBy: null,
      state: "starting",
      changeId: "",
      files: 0,
      changesWritten: 0,
      filesUploaded: 0,
      pendingPaths: 0,
      refusedPaths: [],
      remoteUpdates: 0,
      conflictsReapplied: 0,
      lastSyncAt: null,
      lastError: null,
    };
  }

  /** A copy of the counters. */
  snapshot(): RepoStats {
    return { ...this.stats, refusedPaths: [...this.rejected.keys()] };
  }

  /** Checks out the revision (keeping unsynced edits a previous daemon left) and locks read-only mounts. */
  async checkout(): Promise<void> {
    if (fs.existsSync(this.options.root)) await this.guard.clearLeftovers();
    fs.mkdirSync(this.options.root, { recursive: true });
    const saved = this.loadState();
    const keep = new Set<string>();
    if (saved !== undefined) {
      const local = this.tree.current().tree;
      for (const path of changedPaths(new Map(saved.base), local)) keep.add(path);
      if (keep.size > 0)
        this.options.log(
          `${this.stats.repo}: ${keep.size} unsynced edit(s) from a previous run will be written`,
        );
    }
    const tip = await this.readTip();
    await this.applyRemote(tip, keep);
    this.stats.changeId = this.changeIdOf(tip);
    if (this.options.readOnly) {
      this.stats.lockedBy = await this.guard.lock();
      this.options.log(`${this.stats.repo}: read-only (${this.stats.lockedBy})`);
    }
    this.saveState();
    this.stats.state = keep.size > 0 ? "pending" : "synced";
    this.stats.files = this.base.size;
  }

  /** Starts watching for edits and polling Mesa for moves of the revision by others. */
  start(): void {
    if (!this.options.readOnly) {
      this.watcher.update(this.tree.current().dirs);
      if (this.stats.state === "pending") void this.enqueue(() => this.pushEdits());
    }
    let ticks = 0;
    const poll = (): void => {
      this.pollTimer = setTimeout(() => {
        if (++ticks % FULL_SCAN_EVERY_POLLS === 0) this.tree.markAllDirty();
        void this.enqueue(() => this.pollRemote()).finally(() => {
          if (this.stats.state !== "failed") poll();
        });
      }, this.options.pollMs);
      this.pollTimer.unref();
    };
    poll();
  }

  /**
   * Writes every pending edit now (on SIGTERM and before the token expires), retrying failed
   * writes until `deadline` (epoch ms); resolves true when nothing is left to write.
   */
  async flush(deadline = Date.now()): Promise<boolean> {
    clearTimeout(this.debounceTimer);
    this.debounceTimer = undefined;
    if (this.options.readOnly) {
      await this.queue;
      return true;
    }
    for (;;) {
      // Watch events may still be queued behind the signal: walk everything rather than trust them.
      this.tree.markAllDirty();
      await this.enqueue(() => this.pushEdits());
      if (this.stats.state !== "pending") return this.stats.state === "synced";
      if (Date.now() + FLUSH_RETRY_MS > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, FLUSH_RETRY_MS));
    }
  }

  /** Stops syncing for good: no more writes reach Mesa, the working copy becomes read-only. */
  async failClosed(reason: string): Promise<void> {
    if (this.stats.state === "failed") return;
    this.stats.state = "failed";
    this.stats.lastError = reason;
    this.stopTimers();
    this.watcher.close();
    this.stats.pendingPaths = changedPaths(this.base, this.tree.current().tree).length;
    this.stats.lockedBy = await this.guard.lock().catch(() => null);
    this.options.log(
      `${this.stats.repo}: FAILED CLOSED: ${reason}; ${this.stats.pendingPaths} edit(s) not written`,
    );
    this.options.onUpdate();
  }

  /** Stops timers and watches and removes a read-only bind mount. */
  async stop(): Promise<void> {
    this.stopTimers();
    this.watcher.close();
    await this.queue;
    await this.guard.release();
  }

  private stopTimers(): void {
    clearTimeout(this.debounceTimer);
    clearTimeout(this.pollTimer);
  }

  private schedule(): void {
    if (this.stats.state === "failed" || this.options.readOnly) return;
    const now = Date.now();
    if (this.debounceTimer === undefined) this.firstEventAt = now;
    clearTimeout(this.debounceTimer);
    const maxWait = Math.max(this.options.debounceMs * 4, 500);
    const delay = Math.max(0, Math.min(this.options.debounceMs, this.firstEventAt + maxWait - now));
    this.debounceTimer = setTimeout(() => {
      this.debounceTimer = undefined;
      void this.enqueue(() => this.pushEdits());
    }, delay);
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    const run = async (): Promise<void> => {
      if (this.stats.state === "failed") return;
      try {
        await task();
      } catch (error) {
        await this.handleError(error);
      }
      this.options.onUpdate();
    };
    this.queue = this.queue.then(run);
    return this.queue;
  }

  private async handleError(error: unknown): Promise<void> {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof MesaApiError && error.status === 401) {
      const reason = `Mesa rejected the credential (${message}); the access token has expired or was revoked — mint a new token and run \`mesa mount\` again`;
      this.options.onCredentialRejected(reason);
      await this.failClosed(reason);
      return;
    }
    if (error instanceof MesaApiError && error.status === 403) {
      await this.failClosed(
        `Mesa refused a write (${message}); the credential may not write ${this.stats.repo}`,
      );
      return;
    }
    this.stats.lastError = message;
    this.options.log(`${this.stats.repo}: sync error (will retry): ${message}`);
  }

  /** Writes local edits as changes on the mounted revision; on a conflict brings in the remote and retries. */
  private async pushEdits(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      await this.pullIfMoved();
      const scan = this.tree.current();
      this.watcher.update(scan.dirs);
      const paths = changedPaths(this.base, scan.tree).filter(
        (path) => this.rejected.get(path) !== (scan.tree.get(path)?.sha ?? ""),
      );
      this.stats.pendingPaths = paths.length;
      this.stats.files = scan.tree.size;
      if (paths.length === 0) {
        this.stats.state = "synced";
        return;
      }
      this.stats.state = "pending";
      try {
        this.stats.lastError = null;
        await this.writeChanges(paths);
        this.stats.lastSyncAt = new Date().toISOString();
        this.saveState();
      } catch (error) {
        if (!(error instanceof MesaApiError) || error.status !== 409 || attempt >= MAX_ATTEMPTS)
          throw error;
        this.options.log(
          `${this.stats.repo}: ${error.message}; fetching the new tip and re-applying ${paths.length} edit(s)`,
        );
      }
    }
  }

  private async writeChanges(paths: string[]): Promise<void> {
    const maxFiles = this.options.maxFilesPerChange ?? 1000;
    const maxBytes = this.options.maxBytesPerChange ?? 8 * 1024 * 1024;
    let batch: { op: FileOp; entry: TreeEntry | undefined }[] = [];
    let bytes = 0;
    const send = async (): Promise<void> => {
      if (batch.length === 0) return;
      await this.commit(batch);
      batch = [];
      bytes = 0;
    };
    for (const path of paths) {
      const read = this.tree.read(path);
      const known = this.base.get(path);
      if (read === undefined ? known === undefined : sameEntry(known, read.entry)) continue;
      const op: FileOp =
        read === undefined
          ? { path, action: "delete" }
          : {
              path,
              action: "upsert",
              content: read.bytes.toString("base64"),
              encoding: "base64",
              mode: read.entry.mode,
            };
      const size = read === undefined ? path.length : Math.ceil(read.bytes.length / 3) * 4;
      if (batch.length > 0 && (batch.length >= maxFiles || bytes + size > maxBytes)) await send();
      batch.push({ op, entry: read?.entry });
      bytes += size;
    }
    await send();
  }

  private async commit(batch: { op: FileOp; entry: TreeEntry | undefined }[]): Promise<void> {
    const { api, org, repo, rev } = this.options;
    const files = batch.map((item) => item.op);
    try {
      if (rev.kind === "bookmark") {
        const change = await api.createChange(org, repo, {
          base_change_id: this.tip,
          message: describe(files),
          author: this.options.author,
          files,
        });
        await this.moveBookmark(rev.name, change.id);
        this.tip = change.id;
        this.stats.changeId = change.id;
      } else {
        const change = await api.patchChange(org, repo, rev.id, {
          files,
          base_commit_oid: this.tip,
        });
        this.tip = change.current_commit_oid;
      }
    } catch (error) {
      if (!(error instanceof MesaApiError) || ![400, 413, 422].includes(error.status)) throw error;
      if (batch.length > 1) {
        for (const item of batch) await this.commit([item]);
        return;
      }
      const { op, entry } = batch[0];
      this.rejected.set(op.path, entry?.sha ?? "");
      this.stats.lastError = `'${op.path}' refused: ${error.message}`;
      this.options.log(
        `${this.stats.repo}: Mesa refused '${op.path}' (${error.message}); it stays local until it changes`,
      );
      return;
    }
    for (const { op, entry } of batch) {
      if (entry === undefined) this.base.delete(op.path);
      else this.base.set(op.path, entry);
      this.rejected.delete(op.path);
    }
    this.stats.changesWritten++;
    this.stats.filesUploaded += files.length;
    this.options.log(
      `${this.stats.repo}: wrote ${files.length} file op(s) as ${this.stats.changeId || this.tip}`,
    );
  }

  /**
   * Moves the bookmark only if it still points at the change we built on, so an edit by someone
   * else is never overwritten: a moved bookmark answers like a conflict (409) and we re-apply.
   */
  private async moveBookmark(bookmark: string, changeId: string): Promise<void> {
    const { api, org, repo } = this.options;
    const current = await api.getBookmark(org, repo, bookmark);
    if (current.change_id !== this.tip) {
      throw new MesaApiError(
        409,
        "BOOKMARK_MOVED",
        `bookmark '${bookmark}' moved to ${current.change_id} while writing`,
      );
    }
    await api.moveBookmark(org, repo, bookmark, changeId);
  }

  private async pollRemote(): Promise<void> {
    if (this.options.readOnly) await this.pullIfMoved();
    else await this.pushEdits();
  }

  /** Brings in the remote revision if someone else moved it; local edits win and are re-applied. */
  private async pullIfMoved(): Promise<void> {
    const tip = await this.readTip();
    if (tip === this.tip) return;
    const pending = new Set(changedPaths(this.base, this.tree.current().tree));
    const overlapping = await this.applyRemote(tip, pending);
    this.stats.remoteUpdates++;
    this.stats.conflictsReapplied += overlapping;
    this.stats.changeId = this.changeIdOf(tip);
    this.saveState();
    this.options.log(
      `${this.stats.repo}: brought in ${this.stats.changeId}` +
        (overlapping > 0
          ? `; ${overlapping} path(s) edited on both sides keep the local version`
          : ""),
    );
  }

  /** Makes the working copy equal to `tip` except for `keep`; returns how many kept paths the remote also changed. */
  private async applyRemote(tip: string, keep: ReadonlySet<string>): Promise<number> {
    const ref: RemoteRef = {
      api: this.options.api,
      org: this.options.org,
      repo: this.options.repo,
      changeId: this.changeIdOf(tip),
    };
    const local = this.tree.current().tree;
    const bulk = local.size === 0 ? prefetchAll(ref) : undefined;
    const remote = await listRemoteTree(ref);
    const toFetch: string[] = [];
    const toRemove: string[] = [];
    let overlapping = 0;
    for (const [path, entry] of remote) {
      if (keep.has(path)) {
        if (!sameEntry(this.base.get(path), entry)) overlapping++;
        continue;
      }
      if (!sameEntry(local.get(path), entry)) toFetch.push(path);
    }
    for (const path of local.keys()) {
      if (remote.has(path)) continue;
      if (keep.has(path)) {
        if (this.base.has(path)) overlapping++;
        continue;
      }
      toRemove.push(path);
    }
    const next: Tree = new Map(remote);
    const fetched = await fetchFiles(ref, toFetch, remote, bulk);
    const locked = this.stats.lockedBy !== null;
    if (locked && (toRemove.length > 0 || fetched.size > 0)) await this.guard.unlock();
    try {
      for (const path of toRemove) this.tree.remove(path);
      for (const [path, { mode, bytes }] of fetched) {
        this.tree.write(path, mode, bytes);
        const written = this.tree.read(path);
        if (written !== undefined) next.set(path, written.entry);
      }
    } finally {
      if (locked && (toRemove.length > 0 || fetched.size > 0)) await this.guard.lock();
    }
    this.tree.markAllDirty();
    this.base = next;
    this.tip = tip;
    return overlapping;
  }

  private async readTip(): Promise<string> {
    const { api, org, repo, rev } = this.options;
    if (rev.kind === "bookmark") return (await api.getBookmark(org, repo, rev.name)).change_id;
    return (await api.getChange(org, repo, rev.id)).current_commit_oid;
  }

  private changeIdOf(tip: string): string {
    return this.options.rev.kind === "bookmark" ? tip : this.options.rev.id;
  }

  private loadState(): SavedState | undefined {
    try {
      const saved = JSON.parse(fs.readFileSync(this.options.stateFile, "utf8")) as SavedState;
      return saved.rev === revLabel(this.options.rev) && Array.isArray(saved.base)
        ? saved
        : undefined;
    } catch {
      return undefined;
    }
  }

  private saveState(): void {
    const state: SavedState = {
      rev: revLabel(this.options.rev),
      tip: this.tip,
      base: [...this.base],
    };
    fs.mkdirSync(dirname(this.options.stateFile), { recursive: true });
    writeFileAtomic(this.options.stateFile, JSON.stringify(state));
  }
}

function sameEntry(a: TreeEntry | undefined, b: TreeEntry | undefined): boolean {
  return a !== undefined && b !== undefined && a.sha === b.sha && a.mode === b.mode;
}

function revLabel(rev: RepoRev): string {
  return rev.kind === "bookmark" ? `bookmark:${rev.name}` : `change-id:${rev.id}`;
}

function describe(files: FileOp[]): string {
  const names = files
    .slice(0, 3)
    .map((file) => (file.action === "delete" ? `-${file.path}` : file.path));
  const more = files.length > 3 ? ` (+${files.length - 3} more)` : "";
  return `mesa mount: ${names.join(", ")}${more}`;
}
