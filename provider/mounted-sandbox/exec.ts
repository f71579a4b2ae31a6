/**
 * Running the mount's shell commands in a sandbox (`POST /exec`), with the operation's retries of
 * transient failures — every command given here must be safe to run twice — and every credential
 * kept out of messages: output quoted in errors is redacted of the given secrets, of JWTs and of
 * API keys.
 */
import type { OperationContext } from "../lifecycle";
import { redact } from "../redact";
import { ClassifiedError, classifyFailure } from "../retry";

/** The part of the SDK's `Sandbox` the mount uses. */
interface CommandRunner {
  commands: {
    run(
      cmd: string,
      opts?: { env?: Record<string, string>; timeoutMs?: number },
    ): Promise<{ stdout: string; stderr: string; exitCode: number }>;
  };
}

/** The last `lines` non-empty lines of `text`. */
export function tail(text: string, lines = 15): string {
  return text.trim().split("\n").slice(-lines).join("\n");
}

/** A sandbox command that exited non-zero. */
class SandboxCommandError extends Error {
  constructor(
    readonly step: string,
    readonly exitCode: number,
    output: string,
    hint: string,
  ) {
    super(
      `${step} failed with exit code ${exitCode}. ${hint}${output ? `\n--- output (last lines) ---\n${output}` : ""}`,
    );
    this.name = "SandboxCommandError";
  }
}

/** Options of {@link runStep}. */
interface StepOptions {
  /** What the step does, for messages ("mount the repos"). */
  step: string;
  /** What to do when it fails, keyed by exit code ("default" for any other). */
  hints: Record<number | "default", string>;
  env?: Record<string, string>;
  timeoutMs: number;
  /** Values to redact from the output (the token). */
  secrets?: readonly string[];
}

/**
 * Run `cmd`, retrying transient failures of the call (429, 5xx, dropped connections, timeouts)
 * until the operation's deadline; resolve with its stdout, or throw a {@link SandboxCommandError}
 * with the redacted output tail when it exits non-zero (never retried).
 */
export async function runStep(
  sandbox: CommandRunner,
  cmd: string,
  opts: StepOptions,
  ctx: Pick<OperationContext, "retry">,
): Promise<string> {
  const result = await ctx.retry(opts.step, async () => {
    try {
      return await sandbox.commands.run(cmd, { env: opts.env, timeoutMs: opts.timeoutMs });
    } catch (err) {
      // Keep the classification, not the original error (whose text may quote the request).
      const message = (err as { message?: unknown })?.message ?? err;
      throw new ClassifiedError(
        `${opts.step} failed: ${redact(String(message), opts.secrets)}`,
        classifyFailure(err),
      );
    }
  });
  if (result.exitCode === 0) return result.stdout;
  const output = redact(tail(`${result.stdout}\n${result.stderr}`), opts.secrets);
  throw new SandboxCommandError(
    opts.step,
    result.exitCode,
    output,
    opts.hints[result.exitCode] ?? opts.hints.default,
  );
}
