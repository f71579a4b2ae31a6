/**
 * The runtimes `npm run bench:up` measures in one run (README, "Runtimes"): the minimum (this
 * machine's Node.js, the lockfile's `@pulumi/pulumi`, the pinned CLI) and the current one
 * (scripts/install-current-runtime.sh). Selecting one sets or clears the PSM_RUNTIME_* variables
 * the e2e harness reads, so the projects the bench creates run on it.
 */
import { execFileSync } from "node:child_process";
import { homedir } from "node:os";
import { join } from "node:path";
import { installCurrentRuntime, pulumiPath, sdkVersion } from "../test/helpers/pulumi";

export type RuntimeName = "minimum" | "current";

const VARIABLES = ["PSM_RUNTIME_NODE_BIN", "PSM_RUNTIME_NODE_MODULES", "PSM_RUNTIME_PULUMI"];

/** The runtimes named in BENCH_UP_RUNTIMES (default: both), in that order, repeats included. */
export function runtimesToMeasure(value = "minimum,current"): RuntimeName[] {
  const names = value.split(",").map((s) => s.trim());
  for (const name of names)
    if (name !== "minimum" && name !== "current")
      throw new Error(`BENCH_UP_RUNTIMES lists "minimum" and/or "current"; got "${value}"`);
  return names as RuntimeName[];
}

let currentVariables: Record<string, string> | undefined;

/**
 * Make `name` the runtime of the projects created from now on; returns the `node` that runs the
 * plain scripts on it and a line that says what it is (Node.js, SDK and CLI versions).
 */
export function selectRuntime(name: RuntimeName): { node: string; description: string } {
  for (const key of VARIABLES) delete process.env[key];
  let node = process.execPath;
  if (name === "current") {
    currentVariables ??= installCurrentRuntime();
    Object.assign(process.env, currentVariables);
    node = join(currentVariables.PSM_RUNTIME_NODE_BIN, "node");
  }
  const version = (binary: string) => execFileSync(binary, ["--version"], { encoding: "utf8" });
  const cli = execFileSync(pulumiPath(), ["version"], { encoding: "utf8" });
  return {
    node,
    description: `${name} runtime: node ${version(node).trim()}, @pulumi/pulumi ${sdkVersion()}, pulumi CLI ${cli.trim()}`,
  };
}

/** Where `npm run up` keeps Node.js's module compile cache (scripts/main.sh): the same here. */
export function compileCacheDir(): string {
  const cache =
    process.env.PSM_PULUMI_CACHE ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "pulumi-superserve-mesa");
  return join(cache, "node-compile-cache");
}
