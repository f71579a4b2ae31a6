import { existsSync, readFileSync } from "node:fs";

/** How the machine is looked at: a file's text ("" when unreadable), whether a path exists. */
export interface KernelProbe {
  read: (path: string) => string;
  exists: (path: string) => boolean;
}

/** This machine. */
const HOST: KernelProbe = {
  read: (path) => {
    try {
      return readFileSync(path, "utf8");
    } catch {
      return "";
    }
  },
  exists: existsSync,
};

/**
 * What of the kernel a sandbox's isolation stands on and this machine lacks, as a message that
 * names it and the fix; undefined when everything is there. A sandbox never boots weaker: the
 * runtime refuses to boot one while something is missing.
 */
export function missingKernelFeature(probe: KernelProbe = HOST): string | undefined {
  const { read, exists } = probe;
  if (!exists("/proc/self/ns/user") || read("/proc/sys/user/max_user_namespaces").trim() === "0")
    return "user namespaces are not available (CONFIG_USER_NS, sysctl user.max_user_namespaces > 0): sandboxes run their root as an unprivileged host id in one";
  if (
    !/^Seccomp:/m.test(read("/proc/self/status")) ||
    !read("/proc/sys/kernel/seccomp/actions_avail").includes("errno")
  )
    return "seccomp filters are not available (CONFIG_SECCOMP_FILTER): every sandbox process runs under one";
  if (!exists("/dev/loop-control"))
    return "loop devices are not available (/dev/loop-control; modprobe loop): each sandbox's disk is an ext4 image mounted through one";
  if (!exists("/mnt"))
    return "/mnt is missing: the sandbox launcher stages each sandbox's root there, in its own mount namespace (mkdir /mnt)";
  return undefined;
}
