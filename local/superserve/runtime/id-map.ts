import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { chmod, lchown, lstat, mkdir, readdir, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { promisify } from "node:util";
import { publishDir } from "../../shared/atomic-write";

const run = promisify(execFile);

/**
 * The host ids a sandbox's ids map to: in-sandbox id `n` (0 ≤ n < {@link SANDBOX_ID_COUNT}) is host
 * id `SANDBOX_ID_BASE + n`, for users and groups, in every sandbox and template build. The sandbox's
 * root is host uid 100000, an unprivileged id that owns nothing of the host (rootless Podman's
 * customary first subordinate id); a file made setuid-root inside is setuid-100000 outside.
 */
export const SANDBOX_ID_BASE = 100_000;
/** How many ids a sandbox has: 0–65535, as a Debian system expects (`nobody` is 65534). */
export const SANDBOX_ID_COUNT = 65_536;

const ID_MAP = `0 ${SANDBOX_ID_BASE} ${SANDBOX_ID_COUNT}`;
const sleep = (ms: number) => new Promise<void>((ok) => setTimeout(ok, ms));

/**
 * A user namespace with the sandbox id map, held by a `sleep` until {@link release}: a launcher
 * enters it (`nsenter --user=<path>`) before bubblewrap, whose namespaces (mount, pid, ipc, uts)
 * it then owns. The network namespace, created before by host root, stays the host's: the
 * sandbox's root cannot reconfigure it. One runtime's sandboxes share one (as rootless Podman's
 * containers do): the ids are the same anyway, and a sandbox reaches no other's namespaces (their
 * processes are out of its sight and `setns` is refused).
 */
export class SandboxUserNamespace {
  private constructor(private readonly holder: ChildProcess) {}

  /** Creates the namespace and writes its id maps (as host root, setgroups stays allowed inside). */
  static async create(): Promise<SandboxUserNamespace> {
    const holder = spawn("/usr/bin/unshare", ["--user", "/bin/sleep", "infinity"], {
      stdio: "ignore",
    });
    holder.unref();
    const ns = new SandboxUserNamespace(holder);
    try {
      const own = readlinkSync("/proc/self/ns/user");
      const deadline = Date.now() + 5000;
      for (;;) {
        const theirs = (() => {
          try {
            return readlinkSync(`/proc/${holder.pid}/ns/user`);
          } catch {
            return undefined;
          }
        })();
        if (theirs !== undefined && theirs !== own) break;
        if (holder.exitCode !== null || Date.now() > deadline)
          throw new Error(
            "cannot create a user namespace for the sandbox: this kernel needs user namespaces (CONFIG_USER_NS, user.max_user_namespaces > 0)",
          );
        await sleep(1);
      }
      writeFileSync(`/proc/${holder.pid}/uid_map`, ID_MAP);
      writeFileSync(`/proc/${holder.pid}/gid_map`, ID_MAP);
    } catch (error) {
      ns.release();
      throw error;
    }
    return ns;
  }

  /** False once the holder is gone (then a new namespace is needed). */
  get alive(): boolean {
    return this.holder.exitCode === null && this.holder.signalCode === null;
  }

  /** The namespace's file, for `nsenter --user=`. */
  get path(): string {
    return `/proc/${this.holder.pid}/ns/user`;
  }

  /** Ends the holder; the namespace lives on while the sandbox's processes use it. */
  release(): void {
    this.holder.kill("SIGKILL");
  }
}

/**
 * Gives every file under `dir` the sandbox's ids: uid and gid `n` become `SANDBOX_ID_BASE + n`
 * (each inode once, hard links included). chown clears setuid and setgid bits, so they are set
 * again afterwards. Ids already at or above the base are left as they are.
 */
export async function shiftIds(dir: string): Promise<void> {
  const seen = new Set<string>();
  const walk = async (path: string): Promise<void> => {
    const st = await lstat(path);
    const inode = `${st.dev}:${st.ino}`;
    if (!seen.has(inode)) {
      seen.add(inode);
      const uid = st.uid < SANDBOX_ID_BASE ? st.uid + SANDBOX_ID_BASE : st.uid;
      const gid = st.gid < SANDBOX_ID_BASE ? st.gid + SANDBOX_ID_BASE : st.gid;
      if (uid !== st.uid || gid !== st.gid) {
        await lchown(path, uid, gid);
        if (!st.isSymbolicLink() && st.mode & 0o6000) await chmod(path, st.mode & 0o7777);
      }
    }
    if (st.isDirectory()) for (const entry of await readdir(path)) await walk(join(path, entry));
  };
  await walk(dir);
}

/**
 * The image `rootfs` as sandboxes see it: a copy whose ids are shifted by {@link shiftIds}, made
 * once beside the image's cache entry (`<entry>-ids<base>/rootfs`, never the entry itself, which
 * other data dirs and runs share) and reused.
 */
export async function idMappedImage(rootfs: string): Promise<string> {
  const entry = dirname(rootfs);
  const mapped = join(`${entry}-ids${SANDBOX_ID_BASE}`, basename(rootfs));
  const ready = join(dirname(mapped), ".ready");
  if (existsSync(ready)) return mapped;
  const work = `${dirname(mapped)}.tmp-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  try {
    await mkdir(work, { recursive: true });
    await run("/bin/cp", ["-a", "--reflink=auto", rootfs, join(work, basename(rootfs))]);
    await shiftIds(join(work, basename(rootfs)));
    await writeFile(join(work, ".ready"), "");
    await publishDir(work, dirname(mapped));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return mapped;
}
