import { execFile } from "node:child_process";
import * as fs from "node:fs";
import { join } from "node:path";

/** How a directory was made read-only. */
export type LockMethod = "bind-mount" | "immutable" | "permissions";

/** Runs a program and rejects on a non-zero exit. */
type Runner = (file: string, args: string[]) => Promise<void>;

/** Default {@link Runner}: `execFile` with no shell. */
const execRunner: Runner = (file, args) =>
  new Promise((resolve, reject) => {
    execFile(file, args, { timeout: 60_000 }, (error, _stdout, stderr) =>
      error
        ? reject(new Error(`${file} ${args.join(" ")}: ${String(stderr).trim() || error.message}`))
        : resolve(),
    );
  });

/**
 * Makes a working copy refuse writes, with the strongest mechanism the sandbox allows:
 * 1. a read-only bind mount of the directory on itself: EROFS for every process (needs
 *    CAP_SYS_ADMIN, which local Superserve sandboxes do not have);
 * 2. the immutable attribute (`chattr -R +i`): EPERM for every process, root included, unless it
 *    deliberately runs `chattr -i` (needs CAP_LINUX_IMMUTABLE and ext4/overlayfs);
 * 3. removing the write bits: EACCES only for processes without CAP_DAC_OVERRIDE.
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
    this.method =
      (await this.tryBindMount()) ?? (await this.tryImmutable()) ?? this.lockPermissions();
    return this.method;
  }

  /** Lets the daemon itself write (to apply changes from Mesa); call {@link lock} right after. */
  async unlock(): Promise<void> {
    if (this.method === "bind-mount") await this.run("mount", ["-o", "remount,bind,rw", this.root]);
    else if (this.method === "immutable") await this.run("chattr", ["-R", "-f", "-i", this.root]);
    else if (this.method === "permissions") setWritable(this.root, true);
  }

  /**
   * Undoes the bind mount or the immutable attribute (an immutable tree would stop the sandbox's
   * disk from being removed), leaving permissions read-only where that was the method.
   */
  async release(): Promise<void> {
    if (this.bound) {
      await this.run("umount", [this.root]).catch(() => undefined);
      this.bound = false;
    }
    if (this.method === "immutable")
      await this.run("chattr", ["-R", "-f", "-i", this.root]).catch(() => undefined);
    this.method = undefined;
  }

  /** Clears an immutable attribute a daemon killed without cleanup may have left. */
  async clearLeftovers(): Promise<void> {
    await this.run("chattr", ["-R", "-f", "-i", this.root]).catch(() => undefined);
  }

  private async tryBindMount(): Promise<LockMethod | undefined> {
    try {
      if (!this.bound) {
        await this.run("mount", ["--bind", this.root, this.root]);
        this.bound = true;
      }
      await this.run("mount", ["-o", "remount,bind,ro", this.root]);
      return "bind-mount";
    } catch {
      if (this.bound) await this.run("umount", [this.root]).catch(() => undefined);
      this.bound = false;
      return undefined;
    }
  }

  private async tryImmutable(): Promise<LockMethod | undefined> {
    try {
      await this.run("chattr", ["-R", "-f", "+i", this.root]);
      const probe = `${this.root}/.mesa-ro-probe`;
      try {
        fs.writeFileSync(probe, "");
        fs.rmSync(probe, { force: true });
        await this.run("chattr", ["-R", "-f", "-i", this.root]).catch(() => undefined);
        return undefined;
      } catch {
        return "immutable";
      }
    } catch {
      return undefined;
    }
  }

  private lockPermissions(): LockMethod {
    setWritable(this.root, false);
    return "permissions";
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
