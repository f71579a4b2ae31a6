import type { DiffInfo, MesaApi } from "./mesa-api";
import { gitBlobSha, type FileMode, type Tree, type TreeEntry } from "./working-tree";

/** Where a repo's revision lives on the server. */
export interface RemoteRef {
  api: MesaApi;
  org: string;
  repo: string;
  /** The change to read. */
  changeId: string;
}

/** Runs `task` over `items` with at most `limit` in flight. */
export async function forEachLimit<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++];
      await task(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

const LIST_DEPTH = 10;
const VIRTUAL_ROOT = "z".repeat(32);

/** Lists every file and symlink at `ref.changeId` (one request per 10 directory levels). */
export async function listRemoteTree(ref: RemoteRef, concurrency = 4): Promise<Tree> {
  const tree: Tree = new Map();
  let pending: string[] = [""];
  while (pending.length > 0) {
    const next: string[] = [];
    await forEachLimit(pending, concurrency, async (dir) => {
      const entries = await ref.api.listTree(ref.org, ref.repo, ref.changeId, dir, LIST_DEPTH);
      const dirs: string[] = [];
      for (const entry of entries) {
        if (entry.type === "dir") dirs.push(entry.path);
        else tree.set(entry.path, { mode: toMode(entry.type, entry.mode), sha: entry.sha });
      }
      // A directory listed without any entry below it was cut off by the depth limit (git has no empty dirs).
      const listed = entries.map((entry) => entry.path);
      for (const sub of dirs)
        if (!listed.some((path) => path.startsWith(`${sub}/`))) next.push(sub);
    });
    pending = next;
  }
  return tree;
}

/** Bytes and mode of remote files, keyed by path. */
type Fetched = Map<string, { mode: FileMode; bytes: Buffer }>;

/**
 * Downloads the files `paths` whose expected entries are in `remote`. Many files come from one
 * diff against the empty tree (text files are rebuilt from its lines and kept only when their git
 * blob id matches); the rest, and binaries, are read one by one.
 */
export async function fetchFiles(
  ref: RemoteRef,
  paths: readonly string[],
  remote: Tree,
  bulk?: Promise<DiffInfo | undefined>,
  concurrency = 8,
): Promise<Fetched> {
  const fetched: Fetched = new Map();
  if (paths.length > BULK_THRESHOLD) {
    const wanted = new Set(paths);
    const diff = await (bulk ?? prefetchAll(ref));
    for (const entry of diff?.entries ?? []) {
      const expected = remote.get(entry.path);
      if (!wanted.has(entry.path) || expected === undefined || entry.status !== "added") continue;
      const bytes = rebuildAdded(entry.hunks);
      if (bytes !== undefined && gitBlobSha(bytes) === expected.sha)
        fetched.set(entry.path, { mode: expected.mode, bytes });
    }
  }
  const rest = paths.filter((path) => !fetched.has(path));
  await forEachLimit(rest, concurrency, async (path) => {
    fetched.set(path, await fetchEntry(ref, path));
  });
  return fetched;
}

const BULK_THRESHOLD = 8;

/** Starts downloading every text file of `ref` at once (a diff against the empty tree); undefined on failure. */
export function prefetchAll(ref: RemoteRef): Promise<DiffInfo | undefined> {
  return ref.api.diff(ref.org, ref.repo, VIRTUAL_ROOT, ref.changeId).catch(() => undefined);
}

/** The bytes of a file added in a diff, from its `added` lines; undefined when they are not all there. */
function rebuildAdded(
  hunks: { lines: { kind: string; text: string }[] }[] | null,
): Buffer | undefined {
  if (hunks === null) return undefined;
  if (hunks.length === 0) return Buffer.alloc(0);
  if (hunks.length !== 1) return undefined;
  const lines = hunks[0].lines;
  const text: string[] = [];
  let finalNewline = true;
  for (const line of lines) {
    if (line.kind === "added") text.push(line.text);
    else if (line.kind === "annotation" && /No newline at end of file/.test(line.text))
      finalNewline = false;
    else return undefined;
  }
  return Buffer.from(text.join("\n") + (finalNewline && text.length > 0 ? "\n" : ""), "utf8");
}

/** Downloads one file or symlink. */
async function fetchEntry(
  ref: RemoteRef,
  path: string,
): Promise<{ mode: FileMode; bytes: Buffer }> {
  const file = await ref.api.readFile(ref.org, ref.repo, ref.changeId, path);
  return { mode: toMode(file.type, file.mode), bytes: file.content };
}

function toMode(type: string, mode: string | undefined): TreeEntry["mode"] {
  if (type === "symlink" || mode === "120000") return "120000";
  return mode === "100755" ? "100755" : "100644";
}
