import { SANDBOX_HOME } from "../runtime/sandbox-env";
import type { SandboxRuntime } from "../runtime/types";

/** Polling interval of `ready_cmd`. */
const READY_POLL_MS = 250;

/** Why a template's start or ready command did not bring the sandbox up. */
export class StartFailure extends Error {
  constructor(
    readonly code: "start_cmd_failed" | "ready_cmd_failed",
    message: string,
  ) {
    super(message);
    this.name = "StartFailure";
  }
}

/**
 * Starts `startCmd` in the background of a running sandbox (its output goes to
 * /var/log/superserve-start.log) and polls `readyCmd` until it exits 0, for at most `deadlineMs`.
 * Throws {@link StartFailure} when the start command exits non-zero first or readiness never comes.
 */
export async function runStartCommands(
  runtime: SandboxRuntime,
  sandboxId: string,
  env: Record<string, string>,
  spec: { start_cmd?: string; ready_cmd?: string },
  deadlineMs: number,
  log: (line: string) => void = () => undefined,
): Promise<void> {
  let startExit: number | undefined;
  if (spec.start_cmd) {
    log(`starting start_cmd: ${spec.start_cmd}`);
    const wrapped = `mkdir -p /var/log && (${spec.start_cmd}) >>/var/log/superserve-start.log 2>&1`;
    void runtime
      .exec(
        sandboxId,
        { command: wrapped, cwd: SANDBOX_HOME, env },
        { onStdout: () => undefined, onStderr: () => undefined },
      )
      .then(
        (r) => (startExit = r.exitCode),
        () => (startExit = 1),
      );
  }
  const quiet = { onStdout: () => undefined, onStderr: () => undefined };
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    if (startExit !== undefined && startExit !== 0) {
      throw new StartFailure(
        "start_cmd_failed",
        `start_cmd exited with code ${startExit} (see /var/log/superserve-start.log in the sandbox)`,
      );
    }
    if (!spec.ready_cmd) {
      if (spec.start_cmd) await new Promise((ok) => setTimeout(ok, 200));
      if (startExit !== undefined && startExit !== 0) continue;
      return;
    }
    const r = await runtime.exec(
      sandboxId,
      { command: spec.ready_cmd, cwd: SANDBOX_HOME, env, timeoutSeconds: 10 },
      quiet,
    );
    if (r.exitCode === 0) {
      log("ready_cmd succeeded");
      return;
    }
    if (Date.now() > deadline) {
      throw new StartFailure(
        "ready_cmd_failed",
        `ready_cmd did not succeed within ${Math.round(deadlineMs / 1000)} s (last exit code ${r.exitCode})`,
      );
    }
    await new Promise((ok) => setTimeout(ok, READY_POLL_MS));
  }
}
