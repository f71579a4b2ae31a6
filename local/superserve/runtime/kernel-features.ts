import { existsSync, readFileSync } from "node:fs";

function read(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

/**
 * What of the kernel a sandbox's isolation stands on and this machine lacks, as a message that
 * names it and the fix; undefined when everything is there. A sandbox never boots weaker: the
 * runtime refuses to boot one while something is missing.
 */
export function missingKernelFeature(): string | undefined {
  if (
    !existsSync("/proc/self/ns/user") ||
    read("/proc/sys/user/max_user_namespaces").trim() === "0"
  )
    return "user namespaces are not available (CONFIG_USER_NS, sysctl user.max_user_namespaces > 0): sandboxes run their root as an unprivileged host id in one";
  if (
    !/^Seccomp:/m.test(read("/proc/self/status")) ||
    !read("/proc/sys/kernel/seccomp/actions_avail").includes("errno")
  )
    return "seccomp filters are not available (CONFIG_SECCOMP_FILTER): every sandbox process runs under one";
  if (!existsSync("/dev/loop-control"))
    return "loop devices are not available (/dev/loop-control; modprobe loop): each sandbox's disk is an ext4 image mounted through one";
  if (!existsSync("/mnt"))
    return "/mnt is missing: the sandbox launcher stages each sandbox's root there, in its own mount namespace (mkdir /mnt)";
  return undefined;
}
