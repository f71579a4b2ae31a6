/**
 * What the MountedSandbox provider keeps in the Pulumi state: its inputs after `check` (repos,
 * network, timeouts, the token's lifetime), and its outputs (the inputs plus the sandbox's status,
 * the mount's health, paths and bookmarks, the workspace per repo (what the agent did, with the
 * change each fork started from), and the token's expiry — never the token).
 */
import type { CommonInputs } from "../lifecycle";
import type { MesaCliPolicy } from "./mount-commands";

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
  /** Paths of the references the program gave by name (`template`, `repos[0].repo`): `check` verifies they exist. */
  namedReferences?: string[];
}

/** Inputs stored encrypted in the state (environment values are often credentials); never printed. */
export const SANDBOX_ENCRYPTED_INPUTS = ["envVars"] as const;

/** One repo's workspace, as the MountedSandbox outputs show it. */
export interface RepoWorkspace {
  /** The bookmark the sandbox works on. */
  bookmark: string;
  /** The bookmark it forked from (the same as `bookmark` for `fork: false`). */
  baseBookmark: string;
  /** The change it forked from. */
  baseChangeId: string;
  /** The change at the bookmark's tip. */
  headChangeId: string;
  /** Changes on the bookmark since `baseChangeId`. */
  changes: number;
  /** Files that differ between `baseChangeId` and `headChangeId`. */
  filesChanged: number;
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
  /** Where the first repo is mounted (a `SandboxCommand`'s default working directory). */
  mountPath: string;
  /** Repo name → the bookmark the sandbox works on. */
  bookmarks: Record<string, string>;
  /**
   * When the mount's access token expires (ISO 8601); `up` renews it within the last 10% of its
   * lifetime. Empty after `pulumi import` (the user's token, never renewed: see `importedToken`).
   */
  tokenExpiresAt: string;
  /**
   * Repo name → what the agent did there, read from Mesa on create, update and refresh. It also
   * records each fork's base change (`baseChangeId`), which later reads keep. No input: the diff
   * never looks at it, so an agent's progress plans no change.
   */
  workspace: Record<string, RepoWorkspace>;
}
