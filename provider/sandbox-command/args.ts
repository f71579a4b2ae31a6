/**
 * The args of a `SandboxCommand`, as a program writes them: each documented with its default, an
 * example, and a caution where a change runs the command again (the README's reference is
 * generated from this TSDoc by `scripts/api-docs.ts`).
 */
import type * as pulumi from "@pulumi/pulumi";

/** A sandbox given as a resource: anything with the `sandboxId` and `mountPath` outputs of a `MountedSandbox`. */
export interface MountedSandboxRef {
  readonly sandboxId: pulumi.Output<string>;
  readonly mountPath: pulumi.Output<string>;
}

export interface SandboxCommandArgs {
  /**
   * The sandbox to run in: a `MountedSandbox` resource, or the id of an existing sandbox.
   *
   * Caution: a different sandbox (a replaced `MountedSandbox` included) replaces the command: it
   * runs again in the new sandbox.
   * @example
   * ```ts
   * { sandbox: box }                 // a MountedSandbox
   * { sandbox: "7f9c…" }             // an existing sandbox by id
   * ```
   */
  sandbox: pulumi.Input<string> | MountedSandboxRef;
  /**
   * The command run on create, by `sh` in `cwd`: the agent. Its exit code decides success.
   *
   * Caution: changing it replaces the command (it runs again), unless a foreground command has an
   * `update` command.
   * @example
   * ```ts
   * { create: 'claude "Implement the feature described in TODO.md"', background: true }
   * { create: "npm ci && npm test" }
   * ```
   */
  create: pulumi.Input<string>;
  /**
   * Foreground only: the command run instead of replacing when `create` or `environment` changes.
   * @default none (those changes replace the command, which runs `create` again)
   */
  update?: pulumi.Input<string>;
  /**
   * The command run on delete, in the foreground, after a background command was stopped.
   * @default no command
   * @example
   * ```ts
   * { delete: "git stash list > /tmp/leftovers.txt" }
   * ```
   */
  delete?: pulumi.Input<string>;
  /**
   * Working directory in the sandbox (absolute).
   *
   * Caution: changing it replaces the command.
   * @default the mount of the sandbox's first repo (`/home/user/.local/share/mesa/mnt/<org>/<repo>`) for a `MountedSandbox`, else `/home/user`
   */
  cwd?: pulumi.Input<string>;
  /**
   * Environment variables of the command, passed in the exec request (never in a command line, so
   * never in `ps`). The values are stored encrypted in the state and kept out of every message and
   * output. For an API key prefer a Superserve secret bound on the `MountedSandbox` (`secrets`):
   * it never enters the sandbox.
   *
   * Caution: changing them replaces the command (it runs again), unless a foreground command has
   * an `update` command.
   * @default `{}`
   * @example
   * ```ts
   * { environment: { AGENT_TASK: "Fix the failing test in src/parse.ts" } }
   * ```
   */
  environment?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /**
   * Values that run the command again when any of them changes (pulumi-command's `triggers`).
   *
   * Caution: any change replaces the command.
   * @default `[]`
   * @example
   * ```ts
   * { triggers: [template.buildId, "v2"] }
   * ```
   */
  triggers?: pulumi.Input<unknown[]>;
  /**
   * Run detached, as an agent: `create` returns once the command runs (failing with its log tail
   * when it exits non-zero within its first 3 seconds); the command outlives `pulumi up`, a pause
   * of the sandbox and a restart of the local backends, its output goes to a log in the sandbox,
   * and `status`, `exitCode`, `finishedAt` and `logTail` are read on refresh. Destroy stops it
   * (SIGTERM, SIGKILL 10 s later).
   *
   * Caution: changing it replaces the command.
   * @default `false`: run in the foreground, and fail the `up` when it exits non-zero
   */
  background?: pulumi.Input<boolean>;
  /**
   * Foreground: the command's deadline in seconds (1 to 86400); a command still running then is
   * ended and fails the `up` (exit code 124).
   * @default 300
   */
  timeoutSeconds?: pulumi.Input<number>;
  /**
   * How many lines of the command's output `logTail` keeps (0 to 1000).
   * @default 50
   */
  logLines?: pulumi.Input<number>;
}
