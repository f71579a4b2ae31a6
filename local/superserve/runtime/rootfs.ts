import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdir, readdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Where the sandbox tools directory (option `sandboxTools`) appears inside every sandbox. */
export const TOOLS_MOUNT = "/opt/superserve-local/bin";

/**
 * The parts of a sandbox's file system that have their own overlay. `root` is everything else
 * (home, /root, /tmp, /opt, /app, …) over an empty skeleton; the others stack the sandbox's
 * writes over the host's system directory of the same name.
 */
export interface OverlayPart {
  /** Directory name of this part inside every layer and writable layer. */
  key: string;
  /** Mount point inside the sandbox. */
  target: string;
  /** The read-only base layers under the template layers, top-most first. */
  base: string[];
}

/** Host files under /etc that must never be visible in a sandbox (hidden by whiteouts). */
const PRIVATE_ETC = ["shadow", "shadow-", "gshadow", "gshadow-", "environment", "machine-id", "subuid", "subgid"];

/**
 * Prepares `<dir>`: the empty root skeleton (merged-/usr symlinks and the mount points) and the
 * /etc mask layer whose whiteouts hide the host's private files. Idempotent.
 */
export async function prepareBase(dir: string): Promise<OverlayPart[]> {
  const skeleton = join(dir, "skeleton");
  const etcMask = join(dir, "etc-mask");
  if (!existsSync(join(dir, ".ready"))) {
    for (const d of ["usr", "etc", "home/user", "root", "tmp", "proc", "dev", "run", "var/lib/dpkg", "var/tmp", "mnt", "srv", TOOLS_MOUNT.slice(1)]) {
      await mkdir(join(skeleton, d), { recursive: true });
    }
    for (const d of ["tmp", "var/tmp"]) await chmod(join(skeleton, d), 0o1777);
    for (const name of ["bin", "sbin", "lib", "lib32", "lib64", "libx32"]) {
      if (existsSync(join("/", name))) await symlink(`usr/${name}`, join(skeleton, name));
    }
    await mkdir(join(etcMask, "ssh"), { recursive: true });
    const sshKeys = existsSync("/etc/ssh")
      ? (await readdir("/etc/ssh")).filter((f) => f.startsWith("ssh_host_")).map((f) => `ssh/${f}`)
      : [];
    for (const name of [...PRIVATE_ETC, ...sshKeys]) {
      if (existsSync(join("/etc", name))) await run("mknod", [join(etcMask, name), "c", "0", "0"]);
    }
    await writeFile(join(dir, ".ready"), "");
  }
  return [
    { key: "root", target: "/", base: [skeleton] },
    { key: "usr", target: "/usr", base: ["/usr"] },
    { key: "etc", target: "/etc", base: [etcMask, "/etc"] },
    { key: "var-lib-dpkg", target: "/var/lib/dpkg", base: ["/var/lib/dpkg"] },
  ];
}
