import { describe, expect, it } from "vitest";
import {
  missingKernelFeature,
  type KernelProbe,
} from "../../../local/superserve/runtime/kernel-features";

/** A machine with everything a sandbox stands on, less what `without` takes away. */
function machine(without: { files?: Record<string, string>; paths?: string[] } = {}): KernelProbe {
  const files: Record<string, string> = {
    "/proc/sys/user/max_user_namespaces": "63000\n",
    "/proc/self/status": "Name:\tnode\nSeccomp:\t0\n",
    "/proc/sys/kernel/seccomp/actions_avail":
      "kill_process kill_thread trap errno user_notif trace log allow\n",
    ...without.files,
  };
  const missing = new Set(without.paths ?? []);
  return {
    read: (path) => files[path] ?? "",
    exists: (path) => !missing.has(path),
  };
}

describe("a sandbox never boots weaker than its isolation", () => {
  it("finds nothing missing on a machine with every feature", () => {
    expect(missingKernelFeature(machine())).toBeUndefined();
  });

  it.each([
    ["user namespaces", { paths: ["/proc/self/ns/user"] }],
    ["user namespaces", { files: { "/proc/sys/user/max_user_namespaces": "0\n" } }],
    ["seccomp filters", { files: { "/proc/self/status": "Name:\tnode\n" } }],
    ["seccomp filters", { files: { "/proc/sys/kernel/seccomp/actions_avail": "" } }],
    ["loop devices", { paths: ["/dev/loop-control"] }],
    ["/mnt is missing", { paths: ["/mnt"] }],
  ])("names %s when the machine lacks them, with the fix", (feature, without) => {
    const message = missingKernelFeature(machine(without));
    expect(message, "a missing feature is refused").toBeDefined();
    expect(message).toContain(feature);
  });

  it("answers on this machine, which the suite runs sandboxes on", () => {
    expect(missingKernelFeature()).toBeUndefined();
  });
});
