/**
 * SandboxCommand `check`: validation of the inputs with their defaults, each failure naming the
 * field and the fix (environment failures name the variable, never its value).
 */
import { containsUnknown, UNKNOWN, type CheckFailure } from "../lifecycle";
import { HOME_DIR } from "./sandbox";
import type { SandboxCommandInputs } from "./state";

/** Default deadline of a foreground command. */
export const DEFAULT_TIMEOUT_SECONDS = 300;
/** Longest deadline of a foreground command (a day: longer work belongs in the background). */
const MAX_TIMEOUT_SECONDS = 86_400;
/** Default number of log lines `logTail` keeps. */
export const DEFAULT_LOG_LINES = 50;
const MAX_LOG_LINES = 1000;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

type Props = Record<string, unknown>;

const known = (value: unknown): boolean => value !== undefined && !containsUnknown(value);

function checkText(inputs: Props, field: string, required: boolean, failures: CheckFailure[]) {
  const value = inputs[field];
  if (value === UNKNOWN || (!required && value === undefined)) return;
  if (typeof value !== "string" || value.trim() === "")
    failures.push({
      property: field,
      reason: `${field} must be a shell command${required ? "" : " or unset"}, e.g. "npm test".`,
    });
}

function checkWholeNumber(
  inputs: Props,
  field: string,
  min: number,
  max: number,
  failures: CheckFailure[],
) {
  const value = inputs[field];
  if (!known(value)) return;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max)
    failures.push({
      property: field,
      reason: `${field} must be a whole number from ${min} to ${max}; got ${JSON.stringify(value)}.`,
    });
}

function checkEnvironment(inputs: Props, failures: CheckFailure[]) {
  const env = inputs.environment;
  if (!known(env)) return;
  if (typeof env !== "object" || env === null || Array.isArray(env)) {
    failures.push({
      property: "environment",
      reason:
        'environment must be a map of variable names to strings, e.g. { AGENT_ROLE: "coder" }.',
    });
    return;
  }
  for (const [key, value] of Object.entries(env)) {
    if (!ENV_NAME.test(key))
      failures.push({
        property: `environment.${key}`,
        reason: `environment key "${key}" is not a valid environment variable name: use letters, digits and _, not starting with a digit.`,
      });
    else if (typeof value !== "string" && value !== UNKNOWN)
      failures.push({
        property: `environment.${key}`,
        reason: `environment.${key} must be a string (quote numbers and booleans).`,
      });
  }
}

/**
 * Validate inputs (skipping values unknown during preview) and fill defaults in place. The
 * program's `sandbox` (a sandbox id) is kept as `sandboxId`.
 */
export function validateCommandInputs(inputs: SandboxCommandInputs): CheckFailure[] {
  const bag = inputs as unknown as Props;
  const failures: CheckFailure[] = [];
  if ("sandbox" in bag) {
    bag.sandboxId = bag.sandbox;
    delete bag.sandbox;
  }
  if (bag.sandboxId !== UNKNOWN && (typeof bag.sandboxId !== "string" || bag.sandboxId === ""))
    failures.push({
      property: "sandbox",
      reason: "sandbox must be a MountedSandbox resource or the id of an existing sandbox.",
    });
  checkText(bag, "create", true, failures);
  checkText(bag, "update", false, failures);
  checkText(bag, "delete", false, failures);
  bag.background ??= false;
  if (known(bag.background) && typeof bag.background !== "boolean")
    failures.push({ property: "background", reason: "background must be true or false." });
  if (bag.background === true && bag.update !== undefined)
    failures.push({
      property: "update",
      reason:
        "update is for foreground commands: a background command is started again (replaced) when create, environment or triggers change. Remove update, or set background to false.",
    });
  bag.cwd ??= HOME_DIR;
  if (bag.cwd !== UNKNOWN && (typeof bag.cwd !== "string" || !bag.cwd.startsWith("/")))
    failures.push({
      property: "cwd",
      reason: `cwd must be an absolute path in the sandbox, e.g. "/home/user"; got ${JSON.stringify(bag.cwd)}.`,
    });
  checkEnvironment(bag, failures);
  if (known(bag.triggers) && !Array.isArray(bag.triggers))
    failures.push({
      property: "triggers",
      reason:
        "triggers must be a list of values, e.g. [taskFile.hash]; any change runs the command again.",
    });
  bag.timeoutSeconds ??= DEFAULT_TIMEOUT_SECONDS;
  checkWholeNumber(bag, "timeoutSeconds", 1, MAX_TIMEOUT_SECONDS, failures);
  bag.logLines ??= DEFAULT_LOG_LINES;
  checkWholeNumber(bag, "logLines", 0, MAX_LOG_LINES, failures);
  return failures;
}
