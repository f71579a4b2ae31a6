/**
 * SuperserveTemplate `check`: the template name's rules (autonaming is the lifecycle's) and
 * validation of the build inputs, each failure naming the field and the fix.
 */
import { containsUnknown, type CheckFailure } from "../lifecycle";
import type { NameRules } from "../naming";
import type { SuperserveTemplateInputs } from "./state";

export const templateNameRules: NameRules = {
  what: "Template name",
  maxLength: 63,
  pattern: /^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$/,
  description:
    "use lowercase letters, digits, '.', '_' and '-', starting and ending with a letter or digit",
};

/**
 * Ranges of the numeric inputs, with an example: the sizes are the limits Superserve documents for
 * a template (`CreateTemplateRequest`: vcpu 1–4, memory 256–4096 MiB, disk 1024–8192 MiB).
 */
const SIZES: ReadonlyArray<
  [
    field: "vcpu" | "memoryMib" | "diskMib" | "buildTimeoutSeconds",
    min: number,
    max: number,
    example: string,
  ]
> = [
  ["vcpu", 1, 4, "2"],
  ["memoryMib", 256, 4096, "2048"],
  ["diskMib", 1024, 8192, "4096"],
  ["buildTimeoutSeconds", 10, 86_400, "1800"],
];

/** Validate the inputs (skipping values unknown during preview) and fill the default steps. */
export function validateTemplateInputs(inputs: SuperserveTemplateInputs): CheckFailure[] {
  const failures: CheckFailure[] = [];
  const bag = inputs as unknown as Record<string, unknown>;
  if (bag.steps === undefined) inputs.steps = [];
  if (
    !containsUnknown(inputs.from) &&
    (typeof inputs.from !== "string" || inputs.from.trim() === "")
  ) {
    failures.push({
      property: "from",
      reason: 'from is required: the base image or template to build on, e.g. "ubuntu:24.04".',
    });
  }
  if (!containsUnknown(inputs.steps)) {
    if (!Array.isArray(inputs.steps))
      failures.push({
        property: "steps",
        reason:
          'steps must be a list such as [{ run: "apt-get update && apt-get install -y git" }].',
      });
    else
      inputs.steps.forEach((step, i) => {
        const problem = stepProblem(step);
        if (problem) failures.push({ property: "steps", reason: `steps[${i}]: ${problem}` });
      });
  }
  for (const [field, min, max, example] of SIZES) {
    const value = inputs[field];
    if (value === undefined || containsUnknown(value)) continue;
    if (!Number.isInteger(value) || value < min || value > max) {
      failures.push({
        property: field,
        reason: `${field} must be a whole number from ${min} to ${max} (the service's limits), e.g. ${example}; got ${JSON.stringify(value)}.`,
      });
    }
  }
  for (const field of ["startCmd", "readyCmd"] as const) {
    const value = inputs[field];
    if (
      value !== undefined &&
      !containsUnknown(value) &&
      (typeof value !== "string" || value.trim() === "")
    ) {
      failures.push({
        property: field,
        reason: `${field} must be a non-empty shell command, or left unset.`,
      });
    }
  }
  if (
    inputs.verboseBuildLogs !== undefined &&
    !containsUnknown(inputs.verboseBuildLogs) &&
    typeof inputs.verboseBuildLogs !== "boolean"
  ) {
    failures.push({
      property: "verboseBuildLogs",
      reason: "verboseBuildLogs must be true or false.",
    });
  }
  return failures;
}

function stepProblem(step: unknown): string | undefined {
  if (containsUnknown(step)) return undefined;
  const s = step as Record<string, unknown>;
  const keys = s && typeof s === "object" ? Object.keys(s) : [];
  const shape =
    'use exactly one of { run: "…" }, { env: { key, value } }, { workdir: "/path" }, { user: { name, sudo? } }';
  if (keys.length !== 1) return shape;
  const [key] = keys;
  const raw = s[key];
  if (key === "run" && typeof raw === "string" && raw.trim() !== "") return undefined;
  if (key === "workdir" && typeof raw === "string" && raw.startsWith("/")) return undefined;
  const v = raw as Record<string, unknown>;
  if (
    key === "env" &&
    v &&
    typeof v.key === "string" &&
    /^[A-Za-z_][A-Za-z0-9_]*$/.test(v.key) &&
    typeof v.value === "string"
  )
    return undefined;
  if (
    key === "user" &&
    v &&
    typeof v.name === "string" &&
    v.name !== "" &&
    (v.sudo === undefined || typeof v.sudo === "boolean")
  )
    return undefined;
  return shape;
}
