/**
 * MountedSandbox `diff`: how a change of each input affects the sandbox (the lifecycle's table),
 * and the state `up` must repair even when no input changed (a failed sandbox, a dead mount, a
 * token near its expiry).
 */
import type { CommonInputs, FieldRule, StateDiff } from "../lifecycle";
import type { MountedSandboxInputs, MountedSandboxOutputs } from "./state";
import { remountReason } from "./token";

/** How each input changes the sandbox. */
export const SANDBOX_FIELDS: {
  readonly [K in Exclude<keyof MountedSandboxInputs, keyof CommonInputs>]-?: FieldRule;
} = {
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
 * The lifecycle's state-diff hook, reading the outputs as the last refresh left them (the engine
 * compares inputs only, and `mounted` or `tokenExpiresAt` are no inputs): a failed sandbox is
 * replaced; a mount not known to serve or a token due for renewal ({@link remountReason}) is an
 * in-place update, which checks the mount and remounts it.
 */
export function stateDiff(
  olds: Partial<MountedSandboxOutputs>,
  news: Partial<MountedSandboxInputs>,
  nowMs: number,
): StateDiff {
  if (olds.status === "failed") return { changes: true, replaces: ["status"] };
  return { changes: remountReason(olds, news, nowMs) !== undefined, replaces: [] };
}
