/**
 * SandboxCommand `delete`: a background command is stopped (SIGTERM, SIGKILL after a grace), then
 * the `delete` command runs when given. A paused sandbox is resumed for that; a sandbox already
 * gone (or failed) is fine. The mount keeps what the command wrote: its edits are persisted as
 * they are made, and the MountedSandbox's delete flushes the mount before the sandbox goes.
 */
import type { OperationContext } from "../lifecycle";
import { runForeground, stopBackground } from "./run";
import { connectSandbox, listedSandbox } from "./sandbox";
import type { SandboxCommandOutputs } from "./state";

export async function deleteCommand(
  id: string,
  state: SandboxCommandOutputs,
  ctx: OperationContext,
): Promise<void> {
  const live = await listedSandbox(ctx, state.sandboxId);
  if (!live || live.status === "failed") return;
  if (!state.background && !state.delete) return;
  const sandbox = await connectSandbox(ctx, state.sandboxId);
  if (state.background) {
    ctx.log.status(`stopping the background command in sandbox ${state.sandboxId}`);
    await stopBackground(sandbox, id, ctx);
  }
  if (state.delete) await runForeground(sandbox, state.delete, state, "the delete command", ctx);
}
