/**
 * The provider-side shape of a MountedSandbox: its resolved inputs and outputs, validation with
 * defaults (`check`), the per-field change table, and the diff rules the table cannot express
 * (token renewal, a dead mount, a failed sandbox).
 */
import { createHash } from "node:crypto";
import { containsUnknown, UNKNOWN, type CheckFailure, type CommonInputs, type FieldRule } from "../lifecycle";
import type { MesaCliPolicy } from "./mount-commands";
import { DEFAULT_TOKEN_TTL_SECONDS, tokenNeedsRenewal, ttlProblem } from "./token";

/** One repo to mount, as the provider receives it. */
export interface SandboxRepo {
  /** Repo name (without org). */
  repo: string;
  /** Org of the repo; unset means the configured org (or the API key's). */
  org?: string;
  /** Base bookmark; unset means the repo's default bookmark. */
  bookmark?: string;
  /** `true`: a bookmark of its own named after the resource; a string: that bookmark name; `false`: mount the base bookmark. */
  fork: boolean | string;
  readOnly: boolean;
}

/** Outbound network rules. */
export interface SandboxNetwork {
  allowOut?: string[];
  denyOut?: string[];
}

/** Inputs after `check`. */
export interface MountedSandboxInputs extends CommonInputs {
  /** Sandbox name (autonamed `<logical name>-<random>` when unset). */
  name: string;
  /** Template name or id. */
  template: string;
  repos: SandboxRepo[];
  tokenTtlSeconds: number;
  envVars?: Record<string, string>;
  secrets?: Record<string, string>;
  network?: SandboxNetwork;
  metadata?: Record<string, string>;
  timeoutSeconds?: number;
  autoDeleteSeconds?: number;
  mesaCli: MesaCliPolicy;
  deleteWorkspaceOnDestroy: boolean;
  /** Deadline for the whole mount (install, `mesa mount`, first files served), in seconds. */
  mountTimeoutSeconds: number;
}

/** Outputs: the inputs plus what the service reports. */
export interface MountedSandboxOutputs extends MountedSandboxInputs {
  sandboxId: string;
  /** `active`, `paused`, `resuming` or `failed`, as last read. */
  status: string;
  /** Whether the mount daemon ran and served the repos when last checked (only checked while active). */
  mounted: boolean;
  /** The Mesa org all repos are in. */
  org: string;
  /** Repo name → its directory in the sandbox. */
  mountPaths: Record<string, string>;
  /** Repo name → the bookmark the sandbox works on. */
  bookmarks: Record<string, string>;
  /** When the mount's access token expires (ISO 8601); `up` renews it within the last 10% of its lifetime. */
  tokenExpiresAt: string;
}

/** Metadata key carrying the Pulumi URN (how an interrupted create finds its sandbox). */
export const URN_METADATA_KEY = "pulumi-urn";
/**
 * Metadata key carrying a digest of the inputs that force a replacement: a create adopts an
 * earlier sandbox of its URN only when it was made from the same inputs (the sandbox of an
 * interrupted create), never the predecessor a replacement is about to delete.
 */
export const SPEC_METADATA_KEY = "pulumi-spec";

/** Default deadline of the mount. */
export const DEFAULT_MOUNT_TIMEOUT_SECONDS = 180;
/** Default deadline of one create/update/delete. */
export const OPERATION_TIMEOUT_SECONDS = 600;

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

/** Digest of the replace-forcing inputs (a SHA-256, so env values are not readable from it). */
export function specDigest(inputs: Pick<MountedSandboxInputs, "name" | "template" | "repos" | "envVars" | "secrets">): string {
  const spec = JSON.stringify([inputs.name, inputs.template, inputs.repos, inputs.envVars ?? {}, inputs.secrets ?? {}]);
  return createHash("sha256").update(spec).digest("hex").slice(0, 32);
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const POLICIES: readonly MesaCliPolicy[] = ["auto", "never", "always"];

type Props = Record<string, unknown>;

function known(value: unknown): boolean {
  return value !== undefined && !containsUnknown(value);
}

function isStringMap(value: unknown): value is Record<string, string> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === "string" || v === UNKNOWN);
}

function checkStringMap(inputs: Props, field: string, what: string, failures: CheckFailure[], keyPattern?: RegExp): void {
  const value = inputs[field];
  if (!known(value)) return;
  if (!isStringMap(value)) {
    failures.push({ property: field, reason: `${field} must be a map of ${what} to strings, e.g. { KEY: "value" }.` });
    return;
  }
  if (keyPattern) {
    for (const key of Object.keys(value)) {
      if (!keyPattern.test(key)) failures.push({ property: field, reason: `${field} key "${key}" is not a valid environment variable name (letters, digits and _, not starting with a digit).` });
    }
  }
}

function checkSeconds(inputs: Props, field: string, failures: CheckFailure[], min: number): void {
  const value = inputs[field];
  if (!known(value)) return;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    failures.push({ property: field, reason: `${field} must be a whole number of seconds, at least ${min}; got ${JSON.stringify(value)}.` });
  }
}

function checkRepos(inputs: Props, failures: CheckFailure[]): void {
  const repos = inputs.repos;
  if (repos === UNKNOWN) return;
  if (!Array.isArray(repos) || repos.length === 0) {
    failures.push({ property: "repos", reason: 'repos must list at least one repo to mount, e.g. [{ repo: "agent-workspace" }].' });
    return;
  }
  const seen = new Set<string>();
  const orgs = new Set<string>();
  inputs.repos = repos.map((entry: unknown, i) => {
    const at = `repos[${i}]`;
    if (entry === UNKNOWN) return entry;
    if (typeof entry !== "object" || entry === null) {
      failures.push({ property: at, reason: `${at} must be an object like { repo: "name", bookmark?: "main", fork?: true, readOnly?: false }.` });
      return entry;
    }
    const r = { ...(entry as Props) };
    if (r.repo !== UNKNOWN && (typeof r.repo !== "string" || r.repo === "")) {
      failures.push({ property: `${at}.repo`, reason: `${at}.repo must be the Mesa repo's name (or a MesaRepo resource).` });
    }
    for (const key of ["org", "bookmark"] as const) {
      if (known(r[key]) && (typeof r[key] !== "string" || r[key] === "")) {
        failures.push({ property: `${at}.${key}`, reason: `${at}.${key} must be a non-empty string, or unset.` });
      }
    }
    if (known(r.readOnly) && typeof r.readOnly !== "boolean") {
      failures.push({ property: `${at}.readOnly`, reason: `${at}.readOnly must be true or false.` });
    }
    r.readOnly ??= false;
    if (known(r.fork) && typeof r.fork !== "boolean" && (typeof r.fork !== "string" || r.fork === "")) {
      failures.push({ property: `${at}.fork`, reason: `${at}.fork must be true (a bookmark of its own), false (the base bookmark) or a bookmark name.` });
    }
    r.fork ??= r.readOnly !== true;
    if (r.readOnly === true && r.fork !== false && known(r.fork)) {
      failures.push({ property: `${at}.fork`, reason: `${at} is read-only, so a fork would never receive work: remove fork or set readOnly to false.` });
    }
    if (typeof r.repo === "string" && (r.org === undefined || typeof r.org === "string")) {
      const key = `${r.org ?? ""}/${r.repo}`;
      if (seen.has(key)) failures.push({ property: at, reason: `${at} mounts repo "${r.repo}" a second time; list each repo once.` });
      seen.add(key);
    }
    if (typeof r.org === "string" && r.org !== UNKNOWN) orgs.add(r.org);
    return r;
  });
  if (orgs.size > 1) {
    failures.push({ property: "repos", reason: `All mounted repos must be in one Mesa org (the mount serves one org); got ${[...orgs].join(", ")}. Use one MountedSandbox per org.` });
  }
}

/**
 * Validate inputs (skipping values unknown during preview) and fill defaults in place.
 * Returns the failures, each naming the field and the fix.
 */
export function validateSandboxInputs(inputs: Props): CheckFailure[] {
  const failures: CheckFailure[] = [];
  if (inputs.template !== UNKNOWN && (typeof inputs.template !== "string" || inputs.template === "")) {
    failures.push({ property: "template", reason: "template must be a SuperserveTemplate resource or a template name or id." });
  }
  checkRepos(inputs, failures);
  inputs.tokenTtlSeconds ??= DEFAULT_TOKEN_TTL_SECONDS;
  if (known(inputs.tokenTtlSeconds)) {
    const problem = ttlProblem(inputs.tokenTtlSeconds);
    if (problem) failures.push({ property: "tokenTtlSeconds", reason: problem });
  }
  checkStringMap(inputs, "envVars", "environment variable names", failures, ENV_NAME);
  checkStringMap(inputs, "secrets", "environment variable names (values are Superserve secret names)", failures, ENV_NAME);
  checkStringMap(inputs, "metadata", "keys", failures);
  for (const reserved of [URN_METADATA_KEY, SPEC_METADATA_KEY]) {
    if (isStringMap(inputs.metadata) && reserved in inputs.metadata) {
      failures.push({ property: "metadata", reason: `metadata key "${reserved}" is reserved for the provider; use another key.` });
    }
  }
  const envVars = inputs.envVars;
  if (isStringMap(envVars)) {
    for (const key of Object.keys(envVars)) {
      if (key.startsWith("MESA_")) failures.push({ property: "envVars", reason: `envVars key "${key}" is reserved: the mount's MESA_* settings are passed only to the mount command. Remove it.` });
    }
  }
  const network = inputs.network;
  if (known(network)) {
    const n = network as Props;
    const bad = typeof network !== "object" || network === null || Array.isArray(network) ||
      Object.keys(n).some((k) => k !== "allowOut" && k !== "denyOut") ||
      [n.allowOut, n.denyOut].some((list) => list !== undefined && (!Array.isArray(list) || list.some((h) => typeof h !== "string")));
    if (bad) failures.push({ property: "network", reason: 'network must be { allowOut?: string[], denyOut?: string[] }, e.g. { allowOut: ["api.mesa.dev"] }.' });
  }
  checkSeconds(inputs, "timeoutSeconds", failures, 0);
  checkSeconds(inputs, "autoDeleteSeconds", failures, 0);
  inputs.mesaCli ??= "auto";
  if (known(inputs.mesaCli) && !POLICIES.includes(inputs.mesaCli as MesaCliPolicy)) {
    failures.push({ property: "mesaCli", reason: `mesaCli must be "auto" (install when absent), "never" or "always"; got ${JSON.stringify(inputs.mesaCli)}.` });
  }
  inputs.deleteWorkspaceOnDestroy ??= false;
  if (known(inputs.deleteWorkspaceOnDestroy) && typeof inputs.deleteWorkspaceOnDestroy !== "boolean") {
    failures.push({ property: "deleteWorkspaceOnDestroy", reason: "deleteWorkspaceOnDestroy must be true or false." });
  }
  inputs.mountTimeoutSeconds ??= DEFAULT_MOUNT_TIMEOUT_SECONDS;
  checkSeconds(inputs, "mountTimeoutSeconds", failures, 1);
  return failures;
}

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
