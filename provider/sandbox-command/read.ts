/**
 * SandboxCommand `read` (refresh), which never wakes a paused sandbox: the sandbox is looked up by
 * `Sandbox.list`; a background command still running is read in its sandbox only while that is
 * active (status, exit code, finish time, log tail). In a paused sandbox it keeps its last known
 * outputs with status `paused`; a command that ended is not read again. A command whose sandbox is
 * gone is gone.
 */
import type { OperationContext } from "../lifecycle";
import { backgroundStatus } from "./run";
import { connectSandbox, listedSandbox } from "./sandbox";
import type { SandboxCommandOutputs } from "./state";
import type { CommandReport } from "./commands";

export async function readCommand(
  id: string,
  state: SandboxCommandOutputs,
  ctx: OperationContext,
): Promise<SandboxCommandOutputs | undefined> {
  const live = await listedSandbox(ctx, state.sandboxId);
  if (!live) return undefined;
  if (!state.background || state.status === "exited") return state;
  if (live.status === "failed") return { ...state, status: "lost" };
  if (live.status !== "active") {
    ctx.log.info(
      `sandbox ${state.sandboxId} is ${live.status}: the command's status cannot be read without resuming it; the last known outputs are kept`,
    );
    return { ...state, status: "paused" };
  }
  const sandbox = await connectSandbox(ctx, state.sandboxId);
  return withReport(state, await backgroundStatus(sandbox, id, state, ctx));
}

/** The outputs with what the sandbox reported about the background command. */
export function withReport(
  state: SandboxCommandOutputs,
  report: CommandReport,
): SandboxCommandOutputs {
  const next: SandboxCommandOutputs = { ...state, status: report.status };
  if (report.status === "lost") return next;
  next.logTail = report.logTail;
  if (report.pid !== undefined) next.pid = report.pid;
  if (report.startedAt) next.startedAt = report.startedAt;
  if (report.exitCode !== undefined) next.exitCode = report.exitCode;
  if (report.finishedAt) next.finishedAt = report.finishedAt;
  return next;
}
