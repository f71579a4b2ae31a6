/**
 * The args of a `MountedSandbox`, as a program writes them: each documented with its default, an
 * example, and a caution where a change replaces the sandbox (the README's reference is generated
 * from this TSDoc by `scripts/api-docs.ts`).
 */
import type * as pulumi from "@pulumi/pulumi";
import type { MesaCliPolicy } from "./mount-commands";

/** A Mesa repo given as a resource: anything with the `name` and `org` outputs of a `MesaRepo`. */
export interface MesaRepoRef {
  readonly name: pulumi.Output<string>;
  readonly org: pulumi.Output<string>;
}

/** A Superserve template given as a resource: anything with the `name` output of a `SuperserveTemplate`. */
export interface SuperserveTemplateRef {
  readonly name: pulumi.Output<string>;
}

/** One repo to mount in the sandbox. */
export interface MountedSandboxRepoArgs {
  /**
   * The repo: a `MesaRepo` resource, or the name of an existing repo in the configured org.
   * @example
   * ```ts
   * { repo: workspace }              // a MesaRepo
   * { repo: "agent-workspace" }      // an existing repo by name
   * ```
   */
  repo: pulumi.Input<string> | MesaRepoRef;
  /**
   * Base bookmark: the one mounted, or the one the fork starts from.
   * @default the repo's default bookmark
   */
  bookmark?: pulumi.Input<string>;
  /**
   * Give the sandbox a workspace of its own: `true` forks bookmark `agents/<resource name>` from
   * the base bookmark at its tip (or continues it when it exists, e.g. after a replacement); a
   * string forks a bookmark of that name; `false` mounts the base bookmark itself, shared with
   * anyone else working on it. Forked bookmarks are kept on destroy (see
   * `deleteWorkspaceOnDestroy`).
   * @default `true`, or `false` for a read-only repo
   * @example
   * ```ts
   * { repo: workspace, fork: "agents/reviewer" }
   * ```
   */
  fork?: pulumi.Input<boolean | string>;
  /**
   * Mount the repo read-only: writes fail in the sandbox. When every repo is read-only the
   * sandbox's token has the `read` scope only.
   * @default `false`
   */
  readOnly?: pulumi.Input<boolean>;
}

export interface MountedSandboxArgs {
  /**
   * The template the sandbox starts from: a `SuperserveTemplate` resource, or a template name or id.
   *
   * Caution: changing it replaces the sandbox. The new sandbox continues on the same forked
   * bookmarks, so committed work is kept.
   * @example
   * ```ts
   * { template: template }          // a SuperserveTemplate
   * { template: "superserve/base" } // an existing template
   * ```
   */
  template: pulumi.Input<string> | SuperserveTemplateRef;
  /**
   * Repos mounted at `/home/user/.local/share/mesa/mnt/<org>/<repo>` (all in one org).
   *
   * Caution: changing the list replaces the sandbox.
   * @example
   * ```ts
   * { repos: [{ repo: workspace }, { repo: "shared-docs", readOnly: true }] }
   * ```
   */
  repos: MountedSandboxRepoArgs[];
  /**
   * Sandbox name.
   *
   * Caution: changing it replaces the sandbox.
   * @default `<resource name>-<hash>` (7 hex digits of the URN and the inputs that force replacement), chosen once
   */
  name?: pulumi.Input<string>;
  /**
   * Lifetime of the Mesa access token the mount uses, in seconds (1 to 86400). The token is
   * scoped to exactly the mounted repos; it cannot be refreshed, so a `pulumi up` within the last
   * 10% of its lifetime (or after it expired) signs a new one and remounts.
   * @default 3600
   */
  tokenTtlSeconds?: pulumi.Input<number>;
  /**
   * Environment variables of every process in the sandbox. Stored encrypted in the state.
   * Names starting with `MESA_` are reserved for the mount.
   *
   * Caution: changing them replaces the sandbox.
   * @default `{}`
   * @example
   * ```ts
   * { envVars: { AGENT_ROLE: "reviewer" } }
   * ```
   */
  envVars?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /**
   * Superserve secrets bound to environment variables (`{ ENV_VAR: secretName }`); the sandbox
   * sees a proxy token, swapped for the real credential at egress.
   *
   * Caution: changing them replaces the sandbox.
   * @default `{}`
   * @example
   * ```ts
   * { secrets: { ANTHROPIC_API_KEY: "anthropic" } }
   * ```
   */
  secrets?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /**
   * Outbound network rules (host patterns); updated in place. The mount needs the Mesa API
   * (`api.mesa.dev`, `vcs.mesa.dev`) and, with `mesaCli: "auto"`, the installer (`mesa.dev`).
   * @default no rules (the service's default)
   * @example
   * ```ts
   * { network: { allowOut: ["*.mesa.dev", "api.github.com"] } }
   * ```
   */
  network?: pulumi.Input<{
    allowOut?: pulumi.Input<pulumi.Input<string>[]>;
    denyOut?: pulumi.Input<pulumi.Input<string>[]>;
  }>;
  /**
   * Free-form metadata of the sandbox; updated in place. The keys `pulumi-urn` (the resource's URN,
   * how a retried create finds its sandbox) and `pulumi-spec` (a digest of the inputs that force a
   * replacement) are reserved: the provider sets them.
   * @default `{}`
   */
  metadata?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /**
   * Idle seconds before the service pauses the sandbox; updated in place. Unset keeps the
   * service's setting.
   * @default the service's default
   */
  timeoutSeconds?: pulumi.Input<number>;
  /**
   * Seconds a paused sandbox is kept before the service deletes it; updated in place. Unset
   * keeps the service's setting (paused sandboxes are kept).
   * @default the service's default
   */
  autoDeleteSeconds?: pulumi.Input<number>;
  /**
   * When to run the official installer (`curl -fsSL https://mesa.dev/install.sh | sh -s -- --yes`)
   * in a new sandbox: `auto` only when `mesa` is not on the PATH, `always`, or `never` (fail when
   * it is missing). Only read when the mount is (re)started.
   * @default "auto"
   */
  mesaCli?: pulumi.Input<MesaCliPolicy>;
  /**
   * Delete the forked bookmarks when the sandbox is destroyed. By default they are kept, so an
   * agent's work is never lost with its sandbox.
   * @default `false`
   */
  deleteWorkspaceOnDestroy?: pulumi.Input<boolean>;
  /**
   * Deadline for the mount to serve the repos (CLI install included), in seconds.
   * @default 180
   */
  mountTimeoutSeconds?: pulumi.Input<number>;
  /**
   * Take over an existing sandbox (by id or name) instead of creating one; the repos are mounted
   * into it, with a token this provider signs (the dynamic resources cannot be imported; the
   * provider plugin's can, by sandbox id, keeping the mount that runs: see README, "Import").
   * Only read on create.
   * @default create a new sandbox
   */
  adopt?: pulumi.Input<{ name: pulumi.Input<string> }>;
}
