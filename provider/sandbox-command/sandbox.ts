/**
 * The sandbox a SandboxCommand runs in: found by id without side effects (`Sandbox.list`), and
 * connected to (which resumes a paused sandbox) only when a command must run in it.
 */
import type { Sandbox } from "@superserve/sdk";
import type { OperationContext } from "../lifecycle";
import { findById, superserve, type ListedSandbox } from "../mounted-sandbox/sandboxes";

/** The sandbox user's home: the working directory of a command given a sandbox id and no `cwd`. */
export const HOME_DIR = "/home/user";

/** The sandbox as listed (no side effects), or undefined when it no longer exists. */
export async function listedSandbox(
  ctx: OperationContext,
  sandboxId: string,
): Promise<ListedSandbox | undefined> {
  return findById(await superserve(ctx), ctx, sandboxId);
}

/** A connection to the sandbox, resuming it when it is paused. */
export async function connectSandbox(ctx: OperationContext, sandboxId: string): Promise<Sandbox> {
  const ss = await superserve(ctx);
  return ctx.retry(`connect to sandbox ${sandboxId}`, () =>
    ss.sdk.Sandbox.connect(sandboxId, ss.conn),
  );
}
