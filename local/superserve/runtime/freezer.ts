import { existsSync } from "node:fs";
import { mkdir, readFile, readdir, rmdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** The cgroup-v1 freezer hierarchy every local sandbox's processes live in. */
export const FREEZER_ROOT = "/sys/fs/cgroup/freezer";

const sleep = (ms: number) => new Promise<void>((ok) => setTimeout(ok, ms));

/**
 * One freezer cgroup per sandbox, under a parent group owned by one local Superserve instance
 * (so two instances with different data directories never touch each other's sandboxes).
 */
export class FreezerGroups {
  constructor(private readonly parent: string) {}

  /** Path of the sandbox's group directory. */
  path(id: string): string {
    return join(this.parent, id);
  }

  /** The file a process writes its pid to in order to join the group. */
  procsFile(id: string): string {
    return join(this.path(id), "cgroup.procs");
  }

  /** Creates the group (idempotent). */
  async create(id: string): Promise<void> {
    await mkdir(this.path(id), { recursive: true });
  }

  /** Pids currently in the group; empty when the group does not exist. */
  async pids(id: string): Promise<number[]> {
    try {
      const text = await readFile(this.procsFile(id), "utf8");
      return text.split("\n").filter(Boolean).map(Number);
    } catch {
      return [];
    }
  }

  /** Freezes the group and waits until the kernel reports it FROZEN. */
  async freeze(id: string): Promise<void> {
    await this.setState(id, "FROZEN");
  }

  /** Thaws the group and waits until it is THAWED. */
  async thaw(id: string): Promise<void> {
    await this.setState(id, "THAWED");
  }

  /** Removes the group once it is empty (idempotent). */
  async remove(id: string): Promise<void> {
    if (!existsSync(this.path(id))) return;
    for (let i = 0; i < 50; i++) {
      try {
        await rmdir(this.path(id));
        return;
      } catch {
        await sleep(20);
      }
    }
  }

  /** Removes the instance's parent group once every sandbox group is gone (best effort). */
  async removeParent(): Promise<void> {
    await rmdir(this.parent).catch(() => undefined);
  }

  /** Ids of every group left under the parent (from a previous run that did not stop cleanly). */
  async leftovers(): Promise<string[]> {
    try {
      const entries = await readdir(this.parent, { withFileTypes: true });
      return entries.filter((e) => e.isDirectory()).map((e) => e.name);
    } catch {
      return [];
    }
  }

  private async setState(id: string, state: "FROZEN" | "THAWED"): Promise<void> {
    const file = join(this.path(id), "freezer.state");
    if (!existsSync(file)) return;
    await writeFile(file, state);
    for (let i = 0; i < 500; i++) {
      if ((await readFile(file, "utf8")).trim() === state) return;
      await sleep(2);
    }
    throw new Error(`cgroup ${this.path(id)} did not reach ${state} within 1 s`);
  }
}
