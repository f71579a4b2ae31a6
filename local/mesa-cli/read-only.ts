import { execFile } from "node:child_process";
import * as fs from "node:fs";
import { join } from "node:path";

/** How a directory was made read-only. */
export type LockMethod = "bind-mount" | "permissions";

/** Runs a program and rejects on a non-zero exit. */
export type Runner = (file: string, args: string[]) => Promise<void>;

/** Default {@link Runner}: `execFile` with no shell. */
export const execRunner: Runner = (file, args) =>
  new Promise((resolve, reject) => {
    execFile(file, args, { timeout: 10_000 }, (error, _stdout, stderr) =>
      error ? reject(new Error(`${file} ${args.join(" ")}: ${String(stderr).trim() || error.message}`)) : resolve(),
    );
  });

/**
 * Makes a working copy refuse writes. First choice is a read-only bind mount of the directory on
 * itself (writes fail with EROFS for every process, root included; needs CAP_SYS_ADMIN in the
 * sandbox's mount namespace). Where mounting is not allowed it falls back to removing the write
 * bits (EACCES for processes without CAP_DAC_OVERRIDE).
 */
export class ReadOnlyGuard {
  private method: LockMethod | undefined;
  private bound = false;

  constructor(
    private readonly root: string,
    private readonly run: Runner = execRunner,
  ) {}

  /** Refuses writes from now on; returns the method that took effect. */
  async lock(): Promise<LockMethod> {
    try {
      if (!this.bound) {
        await this.run("mount", ["--bind", this.root, this.root]);
        this.bound = true;
      }
      await this.run("mount", ["-o", "remount,bind,ro", this.root]);
      this.method = "bind-mount";
    } catch {
      setWritable(this.root, false);
      this.method = "permissions";
    }
    return this.method;
  }

  /** Lets the daemon itself write (to apply changes from Mesa); call {@link lock} right after. */
  async unlock(): Promise<void> {
    if (this.method === "bind-mount") await this.run("mount", ["-o", "remount,bind,rw", this.root]);
    else if (this.method === "permissions") setWritable(this.root, true);
  }

  /** Removes the bind mount (the directory stays read-only by permissions if that was the method). */
  async release(): Promise<void> {
    if (this.bound) {
      await this.run("umount", [this.root]).catch(() => undefined);
      this.bound = false;
    }
  }

  /** The method in effect, if locked. */
  get lockedBy(): LockMethod | undefined {
    return this.method;
  }
}

/** Adds or removes the owner/group/other write bits on a whole tree (symlinks untouched). */
function setWritable(root: string, writable: boolean): void {
  const visit = (path: string): void => {
    let stat: fs.Stats;
    try {
      stat = fs.lstatSync(path);
    } catch {
      return;
    }
    if (stat.isSymbolicLink()) return;
    if (stat.isDirectory() && writable) fs.chmodSync(path, stat.mode | 0o200);
    if (stat.isDirectory()) for (const name of fs.readdirSync(path)) visit(join(path, name));
    fs.chmodSync(path, writable ? stat.mode | 0o200 : stat.mode & ~0o222);
  };
  visit(root);
}
