import { existsSync } from "node:fs";
import { join } from "node:path";
import { shellQuote } from "../../shared/shell-quote";
import { NODE_RUNTIME_MOUNT } from "./sandbox-node";
import type { SandboxBootSpec } from "./types";

/** Where the sandbox tools directory (option `sandboxTools`) appears inside every sandbox. */
export const TOOLS_MOUNT = "/opt/superserve-local/bin";

/**
 * The shell command that mounts a sandbox's root file system at `<disk>/merged`: one overlay of
 * the sandbox's writable layer (`<disk>/upper`) over its trust layer (`trustLayer`, see
 * trust-layer.ts) over the template layers over the image. Run in the sandbox's private mount
 * namespace, so nothing is mounted on the host.
 */
export function rootOverlayCommand(
  spec: SandboxBootSpec,
  disk: string,
  trustLayer: string,
): string {
  if (!existsSync(spec.image)) {
    throw new Error(
      `the image of sandbox ${spec.id} is missing (${spec.image}); the image cache was cleared: rebuild the template`,
    );
  }
  const lowers = [trustLayer, ...spec.layers.filter((l) => existsSync(l)), spec.image];
  const options = `lowerdir=${lowers.join(":")},upperdir=${join(disk, "upper")},workdir=${join(disk, "work")}`;
  return `mount -t overlay overlay -o ${shellQuote(options)} ${shellQuote(join(disk, "merged"))}`;
}

/**
 * The read-only host paths bound into every sandbox: the tools and their Node.js runtime. Not the
 * host's resolver configuration: a sandbox has no resolver (its network is its own loopback; names
 * are resolved by the egress proxy), so the image's empty `/etc/resolv.conf` stays.
 */
export function hostBinds(opts: { toolsDir?: string; nodeRuntimeDir?: string }): string[] {
  return [
    ...(opts.toolsDir ? ["--ro-bind", opts.toolsDir, TOOLS_MOUNT] : []),
    ...(opts.nodeRuntimeDir ? ["--ro-bind", opts.nodeRuntimeDir, NODE_RUNTIME_MOUNT] : []),
  ];
}
