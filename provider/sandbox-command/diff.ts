/**
 * SandboxCommand `diff`: what a change of each input does (the lifecycle's table), the rule that
 * `create` and `environment` replace the command unless a foreground `update` command handles
 * them, and the state `up` must act on although no input changed (a background command `lost`,
 * or not read because its sandbox was paused). A command running, finishing or failing is no drift.
 */
import type { CommonInputs, FieldRule, StateDiff } from "../lifecycle";
import type { SandboxCommandInputs, SandboxCommandOutputs } from "./state";

/** How each input changes the command; `create` and `environment` are decided in {@link stateDiff}. */
export const COMMAND_FIELDS: {
  readonly [K in Exclude<keyof SandboxCommandInputs, keyof CommonInputs>]-?: FieldRule;
} = {
  sandboxId: { change: "replace" },
  create: { change: "update" },
  environment: { change: "update" },
  update: { change: "update" },
  delete: { change: "update" },
  cwd: { change: "replace" },
  triggers: { change: "replace" },
  background: { change: "replace" },
  timeoutSeconds: { change: "update" },
  logLines: { change: "update" },
};

/** JSON with sorted keys, so maps compare by content. */
function canonical(value: unknown): string {
  return JSON.stringify(value ?? null, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

/** The inputs among `create` and `environment` that changed. */
function changedCommandFields(
  olds: Partial<SandboxCommandInputs>,
  news: Partial<SandboxCommandInputs>,
): string[] {
  return (["create", "environment"] as const).filter(
    (field) => canonical(olds[field]) !== canonical(news[field]),
  );
}

/** True when `create` or `environment` changed. */
export function commandChanged(
  olds: Partial<SandboxCommandInputs>,
  news: Partial<SandboxCommandInputs>,
): boolean {
  return changedCommandFields(olds, news).length > 0;
}

/** True when `up` must look at a background command in its running sandbox: lost, or not read while paused. */
export function needsCheck(olds: Partial<SandboxCommandOutputs>): boolean {
  return olds.background === true && (olds.status === "lost" || olds.status === "paused");
}

/**
 * The lifecycle's state-diff hook: a changed `create` or `environment` replaces the command (it
 * runs again), unless a foreground command has an `update` command to run instead; a background
 * command found `lost` or `paused` is an update, which checks it and starts it again if it is gone.
 */
export function stateDiff(
  olds: Partial<SandboxCommandOutputs>,
  news: Partial<SandboxCommandInputs>,
): StateDiff {
  const changed = changedCommandFields(olds, news);
  const inPlace = news.background !== true && typeof news.update === "string";
  return {
    changes: needsCheck(olds) || changed.length > 0,
    replaces: inPlace ? [] : changed,
  };
}
