import type { MesaApi } from "./mesa-api";
import type { FileMode, Tree, TreeEntry } from "./working-tree";

/** Where a repo's revision lives on the server. */
export interface RemoteRef {
  api: MesaApi;
  org: string;
  repo: string;
  /** The change to read. */
  changeId: string;
}

/** Runs `task` over `items` with at most `limit` in flight. */
export async function forEachLimit<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++];
      await task(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Lists every file and symlink at `ref.changeId` (one request per directory, in parallel). */
export async function listRemoteTree(ref: RemoteRef, concurrency = 8): Promise<Tree> {
  const tree: Tree = new Map();
  let level: string[] = [""];
  while (level.length > 0) {
    const nextLevel: string[] = [];
    await forEachLimit(level, concurrency, async (dir) => {
      const entries = await ref.api.listDir(ref.org, ref.repo, ref.changeId, dir);
      for (const entry of entries) {
        if (entry.type === "dir") nextLevel.push(entry.path);
        else tree.set(entry.path, { mode: toMode(entry.type, entry.mode), sha: entry.sha });
      }
    });
    level = nextLevel;
  }
  return tree;
}

/** Downloads one file or symlink; its entry is recomputed from the bytes received. */
export async function fetchEntry(ref: RemoteRef, path: string): Promise<{ mode: FileMode; bytes: Buffer }> {
  const file = await ref.api.readFile(ref.org, ref.repo, ref.changeId, path);
  return { mode: toMode(file.type, file.mode), bytes: file.content };
}

function toMode(type: string, mode: string | undefined): TreeEntry["mode"] {
  if (type === "symlink" || mode === "120000") return "120000";
  return mode === "100755" ? "100755" : "100644";
}
