import * as fs from "node:fs";
import { join } from "node:path";

/**
 * One inotify watch per directory of a working copy (Node's `fs.watch`, which shares a single
 * inotify instance per process). An event in a directory calls `onEvent(dir)`; a lost watch calls
 * `onEvent(undefined)`, meaning "rescan everything".
 */
export class DirWatcher {
  private readonly watchers = new Map<string, fs.FSWatcher>();
  private closed = false;

  constructor(
    private readonly root: string,
    private readonly onEvent: (dir: string | undefined) => void,
  ) {}

  /** Watches exactly `dirs` (repo-relative, '' = root): adds new ones, drops vanished ones. */
  update(dirs: readonly string[]): void {
    if (this.closed) return;
    const wanted = new Set(dirs);
    for (const [dir, watcher] of this.watchers) {
      if (!wanted.has(dir)) {
        watcher.close();
        this.watchers.delete(dir);
      }
    }
    for (const dir of wanted) {
      if (this.watchers.has(dir)) continue;
      try {
        const watcher = fs.watch(join(this.root, dir), { persistent: false }, () =>
          this.onEvent(dir),
        );
        watcher.on("error", () => {
          watcher.close();
          this.watchers.delete(dir);
          this.onEvent(undefined);
        });
        this.watchers.set(dir, watcher);
      } catch {
        this.onEvent(undefined);
      }
    }
  }

  /** Stops every watch. */
  close(): void {
    this.closed = true;
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
  }
}
