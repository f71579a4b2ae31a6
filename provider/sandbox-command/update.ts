/**
 * SandboxCommand `update`. A foreground command with an `update` command runs it when `create` or
 * `environment` changed (without one, those changes replace the resource, which runs `create`
 * again). A background command that refresh found `lost` or could not read (`paused`) is checked
 * in its running sandbox (resuming it) and started again when its process is gone. Anything else
 * (`delete`, `logLines`, `timeoutSeconds`) is recorded only.
 */
import type { OperationContext } from "../lifecycle";
import { startBackground } from "./create";
import { commandChanged, needsCheck } from "./diff";
import { withReport } from "./read";
import { backgroundStatus, runForeground } from "./run";
import { connectSandbox } from "./sandbox";
import type { SandboxCommandInputs, SandboxCommandOutputs } from "./state";

export async function updateCommand(
  id: string,
  olds: SandboxCommandOutputs,
  news: SandboxCommandInputs,
  ctx: OperationContext,
): Promise<SandboxCommandOutputs> {
  const base: SandboxCommandOutputs = { ...olds, ...news };
  if (!news.background) {
    if (!news.update || !commandChanged(olds, news)) return base;
    const sandbox = await connectSandbox(ctx, news.sandboxId);
    const result = await runForeground(sandbox, news.update, news, "the update command", ctx);
    return { ...base, ...result, status: "exited" };
  }
  if (!needsCheck(olds)) return base;
  if (olds.status === "paused")
    ctx.log.info(
      `sandbox ${news.sandboxId} is paused; resuming it to check the background command`,
    );
  const sandbox = await connectSandbox(ctx, news.sandboxId);
  const report = await backgroundStatus(sandbox, id, news, ctx);
  if (report.status !== "lost") return withReport(base, report);
  ctx.log.info(`the background command's process is gone (lost); starting it again`);
  return startBackground(id, news, ctx, sandbox);
}
