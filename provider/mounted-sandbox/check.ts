/**
 * MountedSandbox `check`: the sandbox name's rules (autonaming is the lifecycle's) and validation
 * of the other inputs with their defaults, each failure naming the field and the fix.
 */
import { containsUnknown, UNKNOWN, URN_TAG, type CheckFailure } from "../lifecycle";
import { bookmarkProblem, type NameRules } from "../naming";
import type { MesaCliPolicy } from "./mount-commands";
import { SPEC_METADATA_KEY } from "./sandboxes";
import { DEFAULT_TOKEN_TTL_SECONDS, ttlProblem } from "./token";

export const sandboxNameRules: NameRules = {
  what: "Sandbox name",
  maxLength: 63,
  pattern: /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
  description: "use letters, digits, '.', '_' and '-', starting with a letter or digit",
};

/** Default deadline of the mount. */
const DEFAULT_MOUNT_TIMEOUT_SECONDS = 180;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const POLICIES: readonly MesaCliPolicy[] = ["auto", "never", "always"];

type Props = Record<string, unknown>;

function known(value: unknown): boolean {
  return value !== undefined && !containsUnknown(value);
}

function isStringMap(value: unknown): value is Record<string, string> {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === "string" || v === UNKNOWN)
  );
}

/** Longest idle timeout the service accepts (7 days). */
const MAX_TIMEOUT_SECONDS = 604_800;

/** Metadata key prefixes the service reserves (compared case-insensitively). */
const SERVICE_METADATA_PREFIXES = ["superserve.", "_superserve"];

/** Failures name the key (`envVars.KEY`), never the value: `envVars` is stored encrypted. */
function checkStringMap(
  inputs: Props,
  field: string,
  what: string,
  failures: CheckFailure[],
  keyPattern?: RegExp,
): void {
  const value = inputs[field];
  if (!known(value)) return;
  if (!isStringMap(value)) {
    failures.push({
      property: field,
      reason: `${field} must be a map of ${what} to strings, e.g. { KEY: "value" }.`,
    });
    return;
  }
  if (keyPattern) {
    for (const key of Object.keys(value)) {
      if (!keyPattern.test(key))
        failures.push({
          property: `${field}.${key}`,
          reason: `${field} key "${key}" is not a valid environment variable name: use letters, digits and _, not starting with a digit (e.g. "AGENT_ROLE").`,
        });
    }
  }
}

function checkSeconds(
  inputs: Props,
  field: string,
  failures: CheckFailure[],
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): void {
  const value = inputs[field];
  if (!known(value)) return;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `from ${min} to ${max}`;
    failures.push({
      property: field,
      reason: `${field} must be a whole number of seconds, ${range}; got ${JSON.stringify(value)}.`,
    });
  }
}

function checkRepos(inputs: Props, failures: CheckFailure[]): void {
  const repos = inputs.repos;
  if (repos === UNKNOWN) return;
  if (!Array.isArray(repos) || repos.length === 0) {
    failures.push({
      property: "repos",
      reason: 'repos must list at least one repo to mount, e.g. [{ repo: "agent-workspace" }].',
    });
    return;
  }
  const seen = new Set<string>();
  const orgs = new Set<string>();
  inputs.repos = repos.map((entry: unknown, i) => {
    const at = `repos[${i}]`;
    if (entry === UNKNOWN) return entry;
    if (typeof entry !== "object" || entry === null) {
      failures.push({
        property: at,
        reason: `${at} must be an object like { repo: "name", bookmark?: "main", fork?: true, readOnly?: false }.`,
      });
      return entry;
    }
    const r = { ...(entry as Props) };
    if (r.repo !== UNKNOWN && (typeof r.repo !== "string" || r.repo === "")) {
      failures.push({
        property: `${at}.repo`,
        reason: `${at}.repo must be the Mesa repo's name (or a MesaRepo resource).`,
      });
    }
    if (known(r.org) && (typeof r.org !== "string" || r.org === "")) {
      failures.push({
        property: `${at}.org`,
        reason: `${at}.org must be a non-empty string, or unset.`,
      });
    }
    const bookmark = known(r.bookmark) ? bookmarkProblem(`${at}.bookmark`, r.bookmark) : undefined;
    if (bookmark)
      failures.push({
        property: `${at}.bookmark`,
        reason: `${bookmark} Leave it unset for the repo's default bookmark.`,
      });
    if (known(r.readOnly) && typeof r.readOnly !== "boolean") {
      failures.push({
        property: `${at}.readOnly`,
        reason: `${at}.readOnly must be true or false.`,
      });
    }
    r.readOnly ??= false;
    if (
      known(r.fork) &&
      typeof r.fork !== "boolean" &&
      (typeof r.fork !== "string" || r.fork === "")
    ) {
      failures.push({
        property: `${at}.fork`,
        reason: `${at}.fork must be true (a bookmark of its own), false (the base bookmark) or a bookmark name.`,
      });
    } else if (typeof r.fork === "string" && r.fork !== UNKNOWN) {
      const problem = bookmarkProblem(`${at}.fork`, r.fork);
      if (problem)
        failures.push({
          property: `${at}.fork`,
          reason: `${problem} Or set fork: true for "agents/<resource name>".`,
        });
    }
    r.fork ??= r.readOnly !== true;
    if (r.readOnly === true && r.fork !== false && known(r.fork)) {
      failures.push({
        property: `${at}.fork`,
        reason: `${at} is read-only, so a fork would never receive work: remove fork or set readOnly to false.`,
      });
    }
    if (typeof r.repo === "string" && (r.org === undefined || typeof r.org === "string")) {
      const key = `${r.org ?? ""}/${r.repo}`;
      if (seen.has(key))
        failures.push({
          property: at,
          reason: `${at} mounts repo "${r.repo}" a second time; list each repo once.`,
        });
      seen.add(key);
    }
    if (typeof r.org === "string" && r.org !== UNKNOWN) orgs.add(r.org);
    return r;
  });
  if (orgs.size > 1) {
    failures.push({
      property: "repos",
      reason: `All mounted repos must be in one Mesa org (the mount serves one org); got ${[...orgs].join(", ")}. Use one MountedSandbox per org.`,
    });
  }
}

/**
 * Validate inputs (skipping values unknown during preview) and fill defaults in place.
 * Returns the failures, each naming the field and the fix.
 */
export function validateSandboxInputs(inputs: Props): CheckFailure[] {
  const failures: CheckFailure[] = [];
  if (
    inputs.template !== UNKNOWN &&
    (typeof inputs.template !== "string" || inputs.template === "")
  ) {
    failures.push({
      property: "template",
      reason: "template must be a SuperserveTemplate resource or a template name or id.",
    });
  }
  checkRepos(inputs, failures);
  inputs.tokenTtlSeconds ??= DEFAULT_TOKEN_TTL_SECONDS;
  if (known(inputs.tokenTtlSeconds)) {
    const problem = ttlProblem(inputs.tokenTtlSeconds);
    if (problem) failures.push({ property: "tokenTtlSeconds", reason: problem });
  }
  checkStringMap(inputs, "envVars", "environment variable names", failures, ENV_NAME);
  checkStringMap(
    inputs,
    "secrets",
    "environment variable names (values are Superserve secret names)",
    failures,
    ENV_NAME,
  );
  checkStringMap(inputs, "metadata", "keys", failures);
  for (const reserved of [URN_TAG, SPEC_METADATA_KEY]) {
    if (isStringMap(inputs.metadata) && reserved in inputs.metadata) {
      failures.push({
        property: "metadata",
        reason: `metadata key "${reserved}" is reserved for the provider; use another key.`,
      });
    }
  }
  if (isStringMap(inputs.metadata)) {
    for (const key of Object.keys(inputs.metadata)) {
      if (SERVICE_METADATA_PREFIXES.some((prefix) => key.toLowerCase().startsWith(prefix))) {
        failures.push({
          property: "metadata",
          reason: `metadata key "${key}" is reserved by Superserve (keys starting with "superserve." or "_superserve"); use another key.`,
        });
      }
    }
  }
  const envVars = inputs.envVars;
  if (isStringMap(envVars)) {
    for (const key of Object.keys(envVars)) {
      if (key.startsWith("MESA_"))
        failures.push({
          property: `envVars.${key}`,
          reason: `envVars key "${key}" is reserved: the mount's MESA_* settings are passed only to the mount command. Remove it.`,
        });
    }
  }
  const network = inputs.network;
  if (known(network)) {
    const n = network as Props;
    const bad =
      typeof network !== "object" ||
      network === null ||
      Array.isArray(network) ||
      Object.keys(n).some((k) => k !== "allowOut" && k !== "denyOut") ||
      [n.allowOut, n.denyOut].some(
        (list) =>
          list !== undefined && (!Array.isArray(list) || list.some((h) => typeof h !== "string")),
      );
    if (bad)
      failures.push({
        property: "network",
        reason:
          'network must be { allowOut?: string[], denyOut?: string[] }, e.g. { allowOut: ["api.mesa.dev"] }.',
      });
  }
  checkSeconds(inputs, "timeoutSeconds", failures, 0, MAX_TIMEOUT_SECONDS);
  checkSeconds(inputs, "autoDeleteSeconds", failures, 0);
  inputs.mesaCli ??= "auto";
  if (known(inputs.mesaCli) && !POLICIES.includes(inputs.mesaCli as MesaCliPolicy)) {
    failures.push({
      property: "mesaCli",
      reason: `mesaCli must be "auto" (install when absent), "never" or "always"; got ${JSON.stringify(inputs.mesaCli)}.`,
    });
  }
  inputs.deleteWorkspaceOnDestroy ??= false;
  if (
    known(inputs.deleteWorkspaceOnDestroy) &&
    typeof inputs.deleteWorkspaceOnDestroy !== "boolean"
  ) {
    failures.push({
      property: "deleteWorkspaceOnDestroy",
      reason: "deleteWorkspaceOnDestroy must be true or false.",
    });
  }
  inputs.mountTimeoutSeconds ??= DEFAULT_MOUNT_TIMEOUT_SECONDS;
  checkSeconds(inputs, "mountTimeoutSeconds", failures, 1);
  return failures;
}
