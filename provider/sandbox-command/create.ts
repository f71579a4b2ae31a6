/**
 * SandboxCommand `create`: a foreground command runs to its end (a non-zero exit fails the `up`
 * and records nothing, so the next `up` runs it again); a background command is started detached
 * and watched for its first seconds (exiting non-zero then fails the create with its log tail),
 * unless an interrupted create of the same resource with the same inputs left one running (or
 * exited 0): that one is adopted, so a retried create never starts a second agent.
 */
import { randomUUID } from "node:crypto";
import type { OperationContext } from "../lifecycle";
import { withReport } from "./read";
import {
  backgroundStatus,
  CommandFailedError,
  findBackground,
  launchBackground,
  ownerOf,
  runForeground,
  WATCH_SECONDS,
} from "./run";
import { connectSandbox, listedSandbox } from "./sandbox";
import type { SandboxCommandInputs, SandboxCommandOutputs } from "./state";

/** Fails with the next step when the sandbox does not exist. */
export async function requireSandbox(ctx: OperationContext, sandboxId: string): Promise<void> {
  if (!(await listedSandbox(ctx, sandboxId)))
    throw new Error(
      `sandbox ${sandboxId} does not exist: give a MountedSandbox resource or the id of an existing sandbox (\`pulumi refresh\` drops a sandbox deleted out of band, and \`pulumi up\` creates it again).`,
    );
}

export async function createCommand(
  inputs: SandboxCommandInputs,
  ctx: OperationContext,
): Promise<{ id: string; outs: SandboxCommandOutputs }> {
  await requireSandbox(ctx, inputs.sandboxId);
  const sandbox = await connectSandbox(ctx, inputs.sandboxId);
  if (!inputs.background) {
    const result = await runForeground(sandbox, inputs.create, inputs, "the command", ctx);
    ctx.log.info(`the command exited with code 0 in sandbox ${inputs.sandboxId}`);
    return { id: randomUUID(), outs: { ...inputs, ...result, status: "exited" } };
  }
  const earlier = await findBackground(sandbox, ownerOf(ctx.urn, inputs), ctx);
  if (earlier) {
    ctx.log.info(`adopted the background command ${earlier} of an earlier interrupted run`);
    const report = await backgroundStatus(sandbox, earlier, inputs, ctx);
    return {
      id: earlier,
      outs: withReport({ ...inputs, startedAt: "", logTail: "", status: "running" }, report),
    };
  }
  const id = randomUUID();
  return { id, outs: await startBackground(id, inputs, ctx, sandbox) };
}

/**
 * Start the background command `id` and watch it for its first seconds: outputs while it runs (or
 * after it exited 0); an error with its log tail when it exited non-zero or did not start.
 */
export async function startBackground(
  id: string,
  inputs: SandboxCommandInputs,
  ctx: OperationContext,
  sandbox: Awaited<ReturnType<typeof connectSandbox>>,
): Promise<SandboxCommandOutputs> {
  ctx.log.status(`starting the background command in sandbox ${inputs.sandboxId}`);
  const report = await launchBackground(sandbox, id, inputs, randomUUID(), ctx);
  if (report.status === "lost")
    throw new CommandFailedError(
      "the background command",
      -1,
      report.logTail,
      `It did not start within ${WATCH_SECONDS} s; check the sandbox has \`sh\` and \`setsid\`.`,
    );
  if (report.status === "exited" && report.exitCode !== 0)
    throw new CommandFailedError(
      "the background command",
      report.exitCode ?? -1,
      report.logTail,
      `It failed within its first ${WATCH_SECONDS} s; fix the command and run \`pulumi up\` again (nothing was recorded, so it starts again).`,
    );
  ctx.log.info(
    report.status === "running"
      ? `the background command runs in sandbox ${inputs.sandboxId} (pid ${report.pid})`
      : `the background command exited with code 0 in sandbox ${inputs.sandboxId}`,
  );
  return {
    ...inputs,
    status: report.status,
    ...(report.exitCode !== undefined && { exitCode: report.exitCode }),
    ...(report.pid !== undefined && { pid: report.pid }),
    startedAt: report.startedAt ?? new Date(ctx.clock.now()).toISOString(),
    ...(report.finishedAt && { finishedAt: report.finishedAt }),
    logTail: report.logTail,
  };
}
