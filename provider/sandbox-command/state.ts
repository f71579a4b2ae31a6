/**
 * What the SandboxCommand provider keeps in the Pulumi state: its inputs after `check`, and its
 * outputs (the inputs plus what the command did: status, exit code, times, output tails). The
 * `environment` values are stored encrypted and kept out of every message.
 */
import type { CommonInputs } from "../lifecycle";

/** Inputs after `check`. */
export interface SandboxCommandInputs extends CommonInputs {
  /** Id of the sandbox the command runs in. */
  sandboxId: string;
  /** The command run on create (by `sh`). */
  create: string;
  /** Foreground only: run on an in-place update instead of replacing. */
  update?: string;
  /** Run on delete (foreground, after a background command was stopped). */
  delete?: string;
  /** Working directory in the sandbox. */
  cwd: string;
  environment?: Record<string, string>;
  triggers?: unknown[];
  background: boolean;
  /** Foreground: deadline of the command, in seconds. */
  timeoutSeconds: number;
  /** Lines of the log `logTail` keeps. */
  logLines: number;
}

/** Inputs stored encrypted in the state (environment values are often credentials); never printed. */
export const COMMAND_ENCRYPTED_INPUTS = ["environment"] as const;

/**
 * `running`: a background command still runs; `exited`: it ended (see `exitCode`); `lost`: its
 * sandbox no longer has its process (the sandbox restarted without its processes) and the next `up`
 * starts it again; `paused`: its sandbox is paused, so it was not read (outputs as last known).
 */
export type CommandStatus = "running" | "exited" | "lost" | "paused";

/** Outputs: the inputs plus what the command did. */
export interface SandboxCommandOutputs extends SandboxCommandInputs {
  status: CommandStatus;
  /** Exit code once exited. */
  exitCode?: number;
  /** Background: process id in the sandbox (of the command's process group). */
  pid?: number;
  /** When it started (ISO 8601). */
  startedAt: string;
  /** When it exited (ISO 8601). */
  finishedAt?: string;
  /** Foreground: the tail of its standard output. */
  stdout?: string;
  /** Foreground: the tail of its standard error. */
  stderr?: string;
  /** True when `stdout` or `stderr` was cut to its tail. */
  truncated?: boolean;
  /** The last `logLines` lines of its output (stdout and stderr together). */
  logTail: string;
}
