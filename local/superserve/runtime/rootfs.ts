import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { shellQuote } from "../../shared/shell-quote";
import { NODE_RUNTIME_MOUNT } from "./sandbox-node";
import type { SandboxBootSpec } from "./types";

/** Where the sandbox tools directory (option `sandboxTools`) appears inside every sandbox. */
export const TOOLS_MOUNT = "/opt/superserve-local/bin";

/** Every place a host directory may be bound in a sandbox (made in its trust layer). */
export const HOST_BIND_POINTS = [TOOLS_MOUNT, NODE_RUNTIME_MOUNT];

/**
 * Where the launcher assembles the sandbox's root inside its own mount namespace, for bubblewrap
 * (running as the sandbox's root, which may not traverse the host's 0700 data directory) to find
 * it. A directory every Debian system has; covered only in that namespace.
 */
const STAGED_ROOT = "/mnt";

/** The host directories bound read-only into every sandbox. */
export interface HostBinds {
  /** Bound at {@link TOOLS_MOUNT} (option `sandboxTools`). */
  toolsDir?: string;
  /** The tools' Node.js runtime, bound at {@link NODE_RUNTIME_MOUNT}. */
  nodeRuntimeDir?: string;
}

/**
 * Shell lines run by the launcher, as host root, in the sandbox's private mount namespace (so
 * nothing is mounted on the host), after the sandbox's disk (an ext4 image, sandbox-disk.ts) is
 * mounted: the root file system assembled at {@link STAGED_ROOT} — one overlay of the sandbox's
 * writable layer (on that disk) over its trust layer (`trustLayer`, see trust-layer.ts) over the
 * template layers over the image (id-shifted, id-map.ts) — and the host directories bound
 * read-only into it.
 */
export function rootMountLines(
  spec: SandboxBootSpec,
  paths: { upper: string; work: string; image: string },
  trustLayer: string,
  binds: HostBinds,
): string[] {
  if (!existsSync(spec.image)) {
    throw new Error(
      `the image of sandbox ${spec.id} is missing (${spec.image}); the image cache was cleared: rebuild the template`,
    );
  }
  const lowers = [trustLayer, ...spec.layers.filter((l) => existsSync(l)), paths.image];
  const options = `lowerdir=${lowers.join(":")},upperdir=${paths.upper},workdir=${paths.work}`;
  const bound: [string | undefined, string][] = [
    [binds.toolsDir, TOOLS_MOUNT],
    [binds.nodeRuntimeDir, NODE_RUNTIME_MOUNT],
  ];
  return [
    `mount -t overlay overlay -o ${shellQuote(options)} ${STAGED_ROOT}`,
    ...bound.flatMap(([source, point]) => {
      if (!source) return [];
      const target = shellQuote(join(STAGED_ROOT, point));
      return [`mount --bind -o ro,nosuid,nodev ${shellQuote(source)} ${target}`];
    }),
  ];
}

/**
 * runc's masked paths: what of /proc tells about or reaches the host's kernel, hidden (a file
 * behind /dev/null, a directory behind an empty read-only tmpfs).
 */
const MASKED_PROC = [
  "acpi",
  "asound",
  "kcore",
  "keys",
  "latency_stats",
  "timer_list",
  "timer_stats",
  "sched_debug",
  "scsi",
];

/** runc's read-only paths of /proc (bubblewrap covers sys, sysrq-trigger, irq and bus only when writable). */
const READ_ONLY_PROC = ["sys", "sysrq-trigger", "irq", "bus", "fs"];

/**
 * bubblewrap's arguments for the sandbox's file system: the staged root, its own /proc with
 * runc's masked and read-only paths, a minimal /dev, and /sys as an empty read-only tmpfs (the
 * host's sysfs says nothing a sandbox needs). Paths missing on this kernel are skipped.
 */
export function bwrapFileSystemArgs(): string[] {
  const args = ["--bind", STAGED_ROOT, "/", "--proc", "/proc", "--dev", "/dev"];
  for (const name of MASKED_PROC) {
    const host = `/proc/${name}`;
    if (!existsSync(host)) continue;
    args.push(
      ...(statSync(host).isDirectory()
        ? ["--tmpfs", host, "--remount-ro", host]
        : ["--ro-bind", "/dev/null", host]),
    );
  }
  for (const name of READ_ONLY_PROC)
    if (existsSync(`/proc/${name}`)) args.push("--ro-bind", `/proc/${name}`, `/proc/${name}`);
  args.push("--tmpfs", "/sys", "--remount-ro", "/sys");
  return args;
}
