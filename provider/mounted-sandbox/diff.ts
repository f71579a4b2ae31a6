/**
 * MountedSandbox `diff`: how a change of each input affects the sandbox (the lifecycle's table),
 * and the state `up` must repair even when no input changed (a failed sandbox, a dead mount, a
 * token near its expiry).
 */
import type { CommonInputs, FieldRule, StateDiff } from "../lifecycle";
import type { MountedSandboxInputs, MountedSandboxOutputs } from "./state";
import { needsRemount } from "./token";

/** How each input changes the sandbox. */
export const SANDBOX_FIELDS: { readonly [K in Exclude<keyof MountedSandboxInputs, keyof CommonInputs>]-?: FieldRule } = {
  name: { change: "replace" },
  template: { change: "replace" },
  repos: { change: "replace" },
  envVars: { change: "replace" },
  secrets: { change: "replace" },
  network: { change: "update" },
  metadata: { change: "update" },
  timeoutSeconds: { change: "update", serviceDefault: true },
  autoDeleteSeconds: { change: "update", serviceDefault: true },
  tokenTtlSeconds: { change: "update" },
  mesaCli: { change: "none" },
  deleteWorkspaceOnDestroy: { change: "update" },
  mountTimeoutSeconds: { change: "none" },
  namedReferences: { change: "none" },
};

/**
 * The lifecycle's state-diff hook: a failed sandbox is replaced; a dead mount or a token due for
 * renewal ({@link needsRemount}) is an in-place update, which re-signs the token and remounts.
 */
export function stateDiff(olds: Partial<MountedSandboxOutputs>, news: Partial<MountedSandboxInputs>, nowMs: number): StateDiff {
  if (olds.status === "failed") return { changes: true, replaces: ["status"] };
  return { changes: needsRemount(olds, news, nowMs), replaces: [] };
}
