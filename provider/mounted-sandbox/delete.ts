/**
 * MountedSandbox `delete`: stop the mount first so it flushes its edits to Mesa (resuming a paused
 * sandbox for that), then kill the sandbox; a sandbox already gone is fine. The forked bookmarks
 * are kept unless `deleteWorkspaceOnDestroy` is set.
 */
import type { OperationContext } from "../lifecycle";
import { stopMount } from "./mount";
import { findById, listTagged, superserve, type Superserve } from "./sandboxes";
import type { MountedSandboxOutputs } from "./state";
import { deleteForks, forkBookmarkName, mesaFor } from "./workspace";

export async function deleteSandbox(
  id: string,
  state: MountedSandboxOutputs,
  ctx: OperationContext,
): Promise<void> {
  const ss = await superserve(ctx);
  const live = await findById(ss, ctx, id);
  if (live && live.status !== "failed") {
    try {
      const sandbox = await ctx.retry(`connect to sandbox ${id}`, () =>
        ss.sdk.Sandbox.connect(id, ss.conn),
      );
      ctx.log.status(`flushing the mount of sandbox ${id}`);
      await stopMount(sandbox, remainingMs(ctx), ctx);
    } catch (err) {
      ctx.log.warn(
        `sandbox ${id}: could not stop the mount cleanly (${err instanceof Error ? err.message : String(err)}); killing the sandbox, which SIGTERMs the daemon`,
      );
    }
  }
  if (live) await ctx.retry(`kill sandbox ${id}`, () => ss.sdk.Sandbox.killById(id, ss.conn));
  if (state.deleteWorkspaceOnDestroy) await deleteWorkspace(ss, state, id, ctx);
}

/** Remaining time before the operation's deadline, in ms (at least one second). */
function remainingMs(ctx: OperationContext): number {
  return Math.max(1000, ctx.deadline - ctx.clock.now());
}

/** Delete the forked bookmarks, unless a replacement of this resource (same URN) still uses them. */
async function deleteWorkspace(
  ss: Superserve,
  state: MountedSandboxOutputs,
  id: string,
  ctx: OperationContext,
): Promise<void> {
  const others = (await listTagged(ss, ctx)).filter((s) => s.id !== id);
  if (others.length > 0) {
    ctx.log.info(
      `keeping the forked bookmarks: sandbox ${others[0].id} (the replacement) works on them`,
    );
    return;
  }
  const forks = (state.repos ?? [])
    .filter((r) => forkBookmarkName(r, ctx.urn) !== undefined)
    .map((r) => ({
      repo: r.repo,
      bookmark: state.bookmarks?.[r.repo] ?? forkBookmarkName(r, ctx.urn)!,
    }));
  if (forks.length === 0) return;
  const mesa = await mesaFor(ctx, state.org);
  await deleteForks(mesa.mesa, mesa.org, forks, (op, fn) => ctx.retry(op, fn));
  ctx.log.info(
    `deleted the forked bookmarks ${forks.map((f) => `${f.repo}@${f.bookmark}`).join(", ")}`,
  );
}
