/**
 * MountedSandbox `diff`: how a change of each input affects the sandbox (the lifecycle's table),
 * and the state `up` must repair even when no input changed (a failed sandbox, a dead mount, a
 * token near its expiry).
 */
import type { CommonInputs, FieldRule } from "../lifecycle";
import type { MountedSandboxInputs, MountedSandboxOutputs } from "./state";
import { DEFAULT_TOKEN_TTL_SECONDS, tokenNeedsRenewal } from "./token";

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
};

/** What the change table cannot see: state that `up` must repair even when no input changed. */
export interface StateDiff {
  changes: boolean;
  replaces: string[];
}

/**
 * Extra diff rules: a failed sandbox is replaced; a dead mount or a token within the last 10% of
 * its lifetime (or expired) is an in-place update that re-signs the token and remounts.
 */
export function stateDiff(olds: Partial<MountedSandboxOutputs>, nowMs: number): StateDiff {
  if (olds.status === "failed") return { changes: true, replaces: ["status"] };
  if (olds.mounted === false) return { changes: true, replaces: [] };
  const ttl = olds.tokenTtlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS;
  if (tokenNeedsRenewal(olds.tokenExpiresAt, ttl, nowMs)) return { changes: true, replaces: [] };
  return { changes: false, replaces: [] };
}
