/**
 * Waiting for a template build: its log streamed to the user while it runs (the last lines kept
 * for the error), the vendor's error code on failure, and no template left behind when a build
 * fails or overruns its deadline (it is cancelled and the template deleted).
 */
import { PartialCreateError, type OperationContext } from "../lifecycle";
import { describeError } from "../retry";
import { connect, deleteTemplate, outputsOf, readBuild, type Template } from "./live-template";
import type { SuperserveTemplateInputs, SuperserveTemplateOutputs } from "./state";

/** How many build log lines a failure message quotes. */
const LOG_TAIL_LINES = 20;
/** Poll interval of a running build: quick at first (small builds finish in a second), then every 2 s. */
const FIRST_POLL_MS = 250;
const MAX_POLL_MS = 2000;

/** Split a build's `error_message` into the vendor's code and text, as the SDK's BuildError does. */
function buildFailure(errorMessage: string | undefined): { code: string; message: string } {
  const match = errorMessage ? /^(\w+):\s*(.*)$/s.exec(errorMessage) : null;
  if (match && match[2].trim()) return { code: match[1], message: match[2].trim() };
  return { code: "build_failed", message: errorMessage || "Template build failed" };
}

/** Wait for the latest build of `template`, streaming its log; cleans up and throws on failure. */
async function awaitBuild(
  ctx: OperationContext,
  inputs: SuperserveTemplateInputs,
  template: Template,
  buildId: string,
): Promise<SuperserveTemplateOutputs> {
  const started = ctx.clock.now();
  const deadline = Math.min(ctx.deadline, started + (inputs.buildTimeoutSeconds ?? 1800) * 1000);
  const tail: string[] = [];
  const abort = new AbortController();
  ctx.log.info(`Building template ${inputs.name} (build ${buildId}) from ${inputs.from}…`);
  const logs = template
    .streamBuildLogs({
      buildId,
      signal: abort.signal,
      onEvent: (event) => {
        for (const line of event.text.split("\n").filter((l) => l.trim() !== "")) {
          tail.push(line);
          if (tail.length > LOG_TAIL_LINES) tail.shift();
          if (inputs.verboseBuildLogs) ctx.log.info(`build: ${line}`);
          else ctx.log.status(`build: ${line}`);
        }
      },
    })
    .catch(() => undefined);
  try {
    for (let pollMs = FIRST_POLL_MS; ; pollMs = Math.min(pollMs * 2, MAX_POLL_MS)) {
      const build = await readBuild(ctx, template, buildId);
      if (build.status === "ready") {
        const info = await ctx.retry(`read template ${inputs.name}`, () => template.getInfo());
        const seconds = Math.round((ctx.clock.now() - started) / 1000);
        ctx.log.info(`Template ${inputs.name} is ready (built in ${seconds}s).`);
        return outputsOf(inputs, info, build);
      }
      if (build.status === "failed" || build.status === "cancelled") {
        abort.abort();
        await logs;
        const { code, message } =
          build.status === "cancelled"
            ? { code: "cancelled", message: "the build was cancelled" }
            : buildFailure(build.errorMessage);
        await cleanUp(ctx, template.id, inputs);
        throw new Error(
          `Template ${inputs.name} failed to build (${code}): ${message}. Fix the step and run \`pulumi up\` again.` +
            logTail(tail),
        );
      }
      if (ctx.clock.now() + pollMs >= deadline) {
        abort.abort();
        await ctx
          .retry(`cancel build ${buildId}`, () => template.cancelBuild(buildId))
          .catch(() => undefined);
        await cleanUp(ctx, template.id, inputs);
        throw new Error(
          `Template ${inputs.name} did not finish building within ${Math.round((deadline - started) / 1000)}s; the build was cancelled and the template deleted. ` +
            "Raise buildTimeoutSeconds, or make the steps faster." +
            logTail(tail),
        );
      }
      await ctx.clock.sleep(pollMs);
    }
  } finally {
    abort.abort();
  }
}

async function cleanUp(
  ctx: OperationContext,
  id: string,
  inputs: SuperserveTemplateInputs,
): Promise<void> {
  try {
    await deleteTemplate(ctx, id);
  } catch (err) {
    throw new PartialCreateError(
      id,
      { ...inputs, status: "failed" },
      `Template ${inputs.name} failed to build, and deleting it failed too (${describeError(err)}). It is recorded in the stack; \`pulumi destroy\` or the next \`pulumi up\` removes it.`,
    );
  }
}

function logTail(lines: string[]): string {
  return lines.length === 0 ? "" : `\nLast build log lines:\n  ${lines.join("\n  ")}`;
}

/** Bring an existing template (ours, or adopted) to a finished build. */
export async function finishExisting(
  ctx: OperationContext,
  inputs: SuperserveTemplateInputs,
  template: Template,
): Promise<{ id: string; outs: SuperserveTemplateOutputs }> {
  const buildId = template.latestBuildId;
  if (template.status === "ready" && buildId) {
    return {
      id: template.id,
      outs: outputsOf(inputs, template, await readBuild(ctx, template, buildId)),
    };
  }
  if (!buildId || template.status === "failed") {
    // A rebuild whose answer was lost may have started a build: a retry waits for that one.
    const build = await ctx.retry(`rebuild template ${inputs.name}`, async (attempt) => {
      const current = attempt > 1 ? await connect(ctx, template.id) : template;
      if (current && current.latestBuildId && current.latestBuildId !== buildId)
        return { id: current.latestBuildId };
      return template.rebuild();
    });
    return { id: template.id, outs: await awaitBuild(ctx, inputs, template, build.id) };
  }
  return { id: template.id, outs: await awaitBuild(ctx, inputs, template, buildId) };
}
