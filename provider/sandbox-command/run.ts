/**
 * Running a SandboxCommand's shell in its sandbox: a foreground command once (never retried: it may
 * not be safe to run twice), keeping the tails of its output; and the background command's launch,
 * status and stop (each safe to run twice, so retried like any call).
 */
import type { Sandbox } from "@superserve/sdk";
import type { OperationContext } from "../lifecycle";
import { redactorFor, type Redactor } from "../redact";
import { runStep } from "../mounted-sandbox/exec";
import { createHash } from "node:crypto";
import {
  EXIT_KILLED,
  EXIT_NO_CWD,
  EXIT_NO_LAUNCH,
  findCommand,
  foregroundCommand,
  launchCommand,
  parseStatus,
  statusCommand,
  stopCommand,
  type CommandReport,
} from "./commands";
import { lastLines, OutputTail } from "./output-tail";
import { COMMAND_ENCRYPTED_INPUTS, type SandboxCommandInputs } from "./state";

/** Seconds a background command is watched after its start: exiting non-zero within them fails the create. */
export const WATCH_SECONDS = 3;
/** Seconds a stopped background command gets between SIGTERM and SIGKILL. */
export const STOP_GRACE_SECONDS = 10;
/** Lines of output a failure message quotes. */
const FAILURE_LINES = 20;

/** Keeps the secret values of the inputs (`environment`, inputs marked secret) out of the outputs. */
export function outputRedactor(inputs: SandboxCommandInputs): Redactor {
  return redactorFor(inputs as unknown as Record<string, unknown>, [
    ...COMMAND_ENCRYPTED_INPUTS,
    ...(inputs.markedSecret ?? []),
  ]);
}

/** What a foreground run left. */
export interface ForegroundResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  truncated: boolean;
  logTail: string;
  startedAt: string;
  finishedAt: string;
}

/** A command that exited non-zero: its exit code and the tail of what it printed. */
export class CommandFailedError extends Error {
  constructor(what: string, exitCode: number, tail: string, hint: string) {
    super(
      `${what} exited with code ${exitCode}. ${hint}${tail ? `\n--- output (last lines) ---\n${tail}` : ""}`,
    );
    this.name = "CommandFailedError";
  }
}

/**
 * Run `command` in the foreground and wait for it; the outputs keep the last 32 KiB of each stream
 * (redacted of the secret inputs). Fails with the exit code and the stderr tail when it exits
 * non-zero.
 */
export async function runForeground(
  sandbox: Sandbox,
  command: string,
  inputs: SandboxCommandInputs,
  what: string,
  ctx: OperationContext,
): Promise<ForegroundResult> {
  const redact = outputRedactor(inputs);
  const stdout = new OutputTail();
  const stderr = new OutputTail();
  const log = new OutputTail();
  const startedAt = new Date(ctx.clock.now()).toISOString();
  ctx.log.status(`running ${what}`);
  const result = await sandbox.commands.run(foregroundCommand(command, inputs.cwd), {
    env: inputs.environment,
    timeoutMs: inputs.timeoutSeconds * 1000,
    onStdout: (text) => (stdout.push(text), log.push(text)),
    onStderr: (text) => (stderr.push(text), log.push(text)),
  });
  const out = {
    exitCode: result.exitCode,
    stdout: redact(stdout.text()),
    stderr: redact(stderr.text()),
    truncated: stdout.truncated || stderr.truncated,
    logTail: redact(lastLines(log.text(), inputs.logLines)),
    startedAt,
    finishedAt: new Date(ctx.clock.now()).toISOString(),
  };
  if (out.exitCode !== 0) {
    const hint =
      out.exitCode === EXIT_NO_CWD
        ? "Set cwd to a directory that exists in the sandbox."
        : `Fix the command and run \`pulumi up\` again (nothing was recorded, so it runs again)${out.exitCode === 124 ? `, or raise timeoutSeconds (now ${inputs.timeoutSeconds})` : ""}.`;
    throw new CommandFailedError(
      what,
      out.exitCode,
      lastLines(out.stderr || out.stdout, FAILURE_LINES),
      hint,
    );
  }
  return out;
}

/**
 * `<URN> <digest>` of a background command: the resource and what it runs (a SHA-256 of the URN
 * and the inputs that replace it, so the environment's values are not readable from it).
 */
export function ownerOf(urn: string, inputs: SandboxCommandInputs): string {
  const spec = JSON.stringify([
    urn,
    inputs.sandboxId,
    inputs.create,
    inputs.cwd,
    inputs.environment ?? {},
    inputs.triggers ?? [],
  ]);
  return `${urn} ${createHash("sha256").update(spec).digest("hex").slice(0, 32)}`;
}

/**
 * The id of the background command an interrupted create of this resource started with the same
 * inputs (still running, or exited 0), if any: a retried create adopts it instead of starting a
 * second agent.
 */
export async function findBackground(
  sandbox: Sandbox,
  owner: string,
  ctx: OperationContext,
): Promise<string | undefined> {
  const stdout = await runStep(
    sandbox,
    findCommand(owner),
    {
      step: "look for the command of an interrupted create",
      hints: { default: "" },
      timeoutMs: 30_000,
    },
    ctx,
  );
  return stdout.trim() || undefined;
}

/** Start a background command (see `launchCommand`) and report how it does after its first seconds. */
export async function launchBackground(
  sandbox: Sandbox,
  id: string,
  inputs: SandboxCommandInputs,
  startId: string,
  ctx: OperationContext,
): Promise<CommandReport> {
  const stdout = await runStep(
    sandbox,
    launchCommand({
      id,
      owner: ownerOf(ctx.urn, inputs),
      command: inputs.create,
      cwd: inputs.cwd,
      startId,
      watchSeconds: WATCH_SECONDS,
      logLines: inputs.logLines,
    }),
    {
      step: "start the background command",
      hints: {
        [EXIT_NO_CWD]: "Set cwd to a directory that exists in the sandbox.",
        [EXIT_NO_LAUNCH]: "See the message above.",
        default: "See the output above.",
      },
      env: inputs.environment,
      timeoutMs: (WATCH_SECONDS + 30) * 1000,
      secrets: Object.values(inputs.environment ?? {}),
    },
    ctx,
  );
  return reportOf(stdout, inputs);
}

/** What a launch or status command printed, its log tail redacted of the secret inputs. */
function reportOf(stdout: string, inputs: SandboxCommandInputs): CommandReport {
  const report = parseStatus(stdout);
  return { ...report, logTail: outputRedactor(inputs)(report.logTail) };
}

/** The background command's status and log tail, read in the (running) sandbox. */
export async function backgroundStatus(
  sandbox: Sandbox,
  id: string,
  inputs: SandboxCommandInputs,
  ctx: OperationContext,
): Promise<CommandReport> {
  const stdout = await runStep(
    sandbox,
    statusCommand(id, inputs.logLines),
    { step: "read the background command's status", hints: { default: "" }, timeoutMs: 30_000 },
    ctx,
  );
  return reportOf(stdout, inputs);
}

/** Stop the background command (SIGTERM, SIGKILL after the grace) and remove its files; warns when it had to be killed. */
export async function stopBackground(
  sandbox: Sandbox,
  id: string,
  ctx: OperationContext,
): Promise<void> {
  try {
    await runStep(
      sandbox,
      stopCommand(id, STOP_GRACE_SECONDS),
      {
        step: "stop the background command",
        hints: { default: "" },
        timeoutMs: (STOP_GRACE_SECONDS + 30) * 1000,
      },
      ctx,
    );
  } catch (err) {
    if ((err as { exitCode?: number }).exitCode !== EXIT_KILLED) throw err;
    ctx.log.warn(
      `the background command did not exit within ${STOP_GRACE_SECONDS} s of SIGTERM: it was killed`,
    );
  }
}
