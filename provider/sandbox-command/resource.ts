import * as pulumi from "@pulumi/pulumi";
import { PackageResource, type PackageResourceSpec } from "../dynamic";
import type { MountedSandboxRef, SandboxCommandArgs } from "./args";
import { COMMAND_ENCRYPTED_INPUTS, type CommandStatus, type SandboxCommandOutputs } from "./state";

function isSandboxRef(sandbox: SandboxCommandArgs["sandbox"]): sandbox is MountedSandboxRef {
  return pulumi.Resource.isInstance(sandbox) && "sandboxId" in sandbox;
}

/** How the engine sees a SandboxCommand: type name, provider module, outputs to declare and to encrypt. */
export const SANDBOX_COMMAND_SPEC: PackageResourceSpec<SandboxCommandOutputs> = {
  typeName: "SandboxCommand",
  implModule: "sandbox-command/provider",
  outputs: [
    "status",
    "exitCode",
    "pid",
    "startedAt",
    "finishedAt",
    "stdout",
    "stderr",
    "truncated",
    "logTail",
  ],
  secretOutputs: COMMAND_ENCRYPTED_INPUTS,
};

/**
 * The inputs a SandboxCommand sends its provider (either host: dynamic or plugin). The sandbox is
 * sent by id under the program's own name, `sandbox`, as a program in another language gives it.
 */
export function sandboxCommandInputs(args: SandboxCommandArgs): Record<string, unknown> {
  const sandbox = isSandboxRef(args.sandbox) ? args.sandbox : undefined;
  return {
    sandbox: sandbox ? sandbox.sandboxId : args.sandbox,
    create: args.create,
    update: args.update,
    delete: args.delete,
    cwd: args.cwd ?? sandbox?.mountPath,
    environment: args.environment === undefined ? undefined : pulumi.secret(args.environment),
    triggers: args.triggers,
    background: args.background,
    timeoutSeconds: args.timeoutSeconds,
    logLines: args.logLines,
  };
}

/**
 * A command run in a sandbox, pulumi-command style: `create` runs once (and again only when
 * `create`, `environment` or `triggers` change, or the sandbox is replaced), `delete` on destroy.
 * A foreground command fails the `up` with its exit code and stderr tail when it exits non-zero,
 * leaving nothing recorded. A `background` command is an agent: started detached in the sandbox,
 * it runs on after `pulumi up` ends; refresh reads its `status`, `exitCode` and `logTail` without
 * resuming a paused sandbox, and its progress is no drift. A background command whose process the
 * sandbox lost (`lost`) is started again by the next `up`; destroy stops it.
 *
 * @example
 * ```ts
 * import { MountedSandbox, SandboxCommand } from "pulumi-superserve-mesa";
 *
 * const box = new MountedSandbox("agent-1", { template, repos: [{ repo }], secrets: { ANTHROPIC_API_KEY: "anthropic" } });
 * const agent = new SandboxCommand("agent-1", {
 *   sandbox: box, // runs in the mount of the sandbox's first repo
 *   create: 'claude -p "Implement the feature described in TODO.md"',
 *   background: true,
 * });
 * export const agentStatus = agent.status; // "running", then "exited" (after `pulumi refresh`)
 * ```
 */
export class SandboxCommand extends PackageResource<SandboxCommandOutputs> {
  /**
   * `running` (a background command still runs), `exited` (see `exitCode`), `lost` (its sandbox
   * came back without its process; the next `pulumi up` starts it again) or `paused` (its sandbox
   * is paused, so it was not read: the other outputs are as last known), as last created, updated
   * or refreshed.
   */
  declare readonly status: pulumi.Output<CommandStatus>;
  /** The exit code, once exited. */
  declare readonly exitCode: pulumi.Output<number | undefined>;
  /** Background: the process id of the command (its process group) in the sandbox. */
  declare readonly pid: pulumi.Output<number | undefined>;
  /** When the command started (ISO 8601). */
  declare readonly startedAt: pulumi.Output<string>;
  /** When the command exited (ISO 8601), once known. */
  declare readonly finishedAt: pulumi.Output<string | undefined>;
  /** Foreground: the last 32 KiB of the standard output (secret values redacted). */
  declare readonly stdout: pulumi.Output<string | undefined>;
  /** Foreground: the last 32 KiB of the standard error (secret values redacted). */
  declare readonly stderr: pulumi.Output<string | undefined>;
  /** True when `stdout` or `stderr` was cut to its last 32 KiB. */
  declare readonly truncated: pulumi.Output<boolean | undefined>;
  /** The last `logLines` lines of the command's output, stdout and stderr together (secret values redacted). */
  declare readonly logTail: pulumi.Output<string>;

  constructor(name: string, args: SandboxCommandArgs, opts?: pulumi.CustomResourceOptions) {
    super(SANDBOX_COMMAND_SPEC, name, sandboxCommandInputs(args), opts);
  }
}
