/**
 * SuperserveTemplate lifecycle, run inside the dynamic provider process (see `lifecycle.ts`).
 * The public class and its documented args are in `resource.ts`.
 *
 * Superserve templates carry no tags or metadata, so a create retried after an interrupted run
 * recognises its template by name: a generated (autonamed) name is unique to this resource, and a
 * name this very operation already sent a create for is ours too. A build that fails or overruns
 * its deadline is cancelled and its template deleted, so nothing is left behind.
 */
import type { ConfigSource } from "../config";
import { statusOf, superserveConnection, superserveSdk } from "../clients";
import {
  containsUnknown,
  defineProvider,
  PartialCreateError,
  type CheckFailure,
  type CommonInputs,
  type OperationContext,
  type ProviderEnvironment,
  type ProviderMethods,
  type ResourceDefinition,
} from "../lifecycle";
import type { NameRules } from "../naming";
import { classifyFailure, describeError, type FailureKind } from "../retry";

export type TemplateStep =
  | { run: string }
  | { env: { key: string; value: string } }
  | { workdir: string }
  | { user: { name: string; sudo?: boolean } };

export interface SuperserveTemplateInputs extends CommonInputs {
  name: string;
  from: string;
  steps: TemplateStep[];
  vcpu?: number;
  memoryMib?: number;
  diskMib?: number;
  startCmd?: string;
  readyCmd?: string;
  buildTimeoutSeconds?: number;
  verboseBuildLogs?: boolean;
}

export interface SuperserveTemplateOutputs extends SuperserveTemplateInputs {
  status: string;
  buildId: string;
  buildSpecHash: string;
  builtAt?: string;
  sizeBytes?: number;
}

export const templateNameRules: NameRules = {
  what: "Template name",
  maxLength: 63,
  pattern: /^[a-z0-9][a-z0-9._-]*$/,
  description: "use lowercase letters, digits, '.', '_' and '-', starting with a letter or digit",
};

/** How many build log lines a failure message quotes. */
const LOG_TAIL_LINES = 20;
/** Poll interval of a running build: quick at first (small builds finish in a second), then every 2 s. */
const FIRST_POLL_MS = 250;
const MAX_POLL_MS = 2000;

type Template = Awaited<ReturnType<ReturnType<typeof superserveSdk>["Template"]["connect"]>>;

const isNotFound = (err: unknown) => statusOf(err) === 404 || (err as Error)?.name === "NotFoundError";

/**
 * 409 clears up by itself here: a template still building or in use by sandboxes (delete), or one
 * an earlier attempt created meanwhile (create looks again and adopts it). Retried until the deadline.
 */
const conflictIsTransient = (err: unknown): FailureKind => (statusOf(err) === 409 ? { transient: true } : classifyFailure(err));

function readBuild(ctx: OperationContext, template: Template, buildId: string) {
  return ctx.retry(`read build ${buildId} of template ${template.name}`, () => template.getBuild(buildId));
}

function validate(inputs: SuperserveTemplateInputs): CheckFailure[] {
  const failures: CheckFailure[] = [];
  const bag = inputs as unknown as Record<string, unknown>;
  if (bag.steps === undefined) inputs.steps = [];
  if (!containsUnknown(inputs.from) && (typeof inputs.from !== "string" || inputs.from.trim() === "")) {
    failures.push({ property: "from", reason: 'from is required: the base image or template to build on, e.g. "ubuntu:24.04".' });
  }
  if (!containsUnknown(inputs.steps)) {
    if (!Array.isArray(inputs.steps)) failures.push({ property: "steps", reason: 'steps must be a list such as [{ run: "apt-get install -y git" }].' });
    else inputs.steps.forEach((step, i) => {
      const problem = stepProblem(step);
      if (problem) failures.push({ property: "steps", reason: `steps[${i}]: ${problem}` });
    });
  }
  const sizes: [keyof SuperserveTemplateInputs, number, number, string][] = [
    ["vcpu", 1, 64, "2"],
    ["memoryMib", 128, 1_048_576, "2048"],
    ["diskMib", 512, 10_485_760, "8192"],
    ["buildTimeoutSeconds", 10, 86_400, "1800"],
  ];
  for (const [field, min, max, example] of sizes) {
    const value = inputs[field];
    if (value === undefined || containsUnknown(value)) continue;
    if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
      failures.push({ property: field, reason: `${field} must be a whole number from ${min} to ${max}, e.g. ${example}.` });
    }
  }
  for (const field of ["startCmd", "readyCmd"] as const) {
    const value = inputs[field];
    if (value !== undefined && !containsUnknown(value) && (typeof value !== "string" || value.trim() === "")) {
      failures.push({ property: field, reason: `${field} must be a non-empty shell command, or left unset.` });
    }
  }
  if (inputs.verboseBuildLogs !== undefined && !containsUnknown(inputs.verboseBuildLogs) && typeof inputs.verboseBuildLogs !== "boolean") {
    failures.push({ property: "verboseBuildLogs", reason: "verboseBuildLogs must be true or false." });
  }
  return failures;
}

function stepProblem(step: unknown): string | undefined {
  if (containsUnknown(step)) return undefined;
  const s = step as Record<string, unknown>;
  const keys = s && typeof s === "object" ? Object.keys(s) : [];
  const shape = 'use exactly one of { run: "…" }, { env: { key, value } }, { workdir: "/path" }, { user: { name, sudo? } }';
  if (keys.length !== 1) return shape;
  const [key] = keys;
  const raw = s[key];
  if (key === "run" && typeof raw === "string" && raw.trim() !== "") return undefined;
  if (key === "workdir" && typeof raw === "string" && raw.startsWith("/")) return undefined;
  const v = raw as Record<string, unknown>;
  if (key === "env" && v && typeof v.key === "string" && /^[A-Za-z_][A-Za-z0-9_]*$/.test(v.key) && typeof v.value === "string") return undefined;
  if (key === "user" && v && typeof v.name === "string" && v.name !== "" && (v.sudo === undefined || typeof v.sudo === "boolean")) return undefined;
  return shape;
}

/** Split a build's `error_message` into the vendor's code and text, as the SDK's BuildError does. */
export function buildFailure(errorMessage: string | undefined): { code: string; message: string } {
  const match = errorMessage ? /^(\w+):\s*(.*)$/s.exec(errorMessage) : null;
  if (match && match[2].trim()) return { code: match[1], message: match[2].trim() };
  return { code: "build_failed", message: errorMessage || "Template build failed" };
}

async function connect(ctx: OperationContext, nameOrId: string): Promise<Template | undefined> {
  const conn = superserveConnection(await ctx.superserve());
  return ctx.retry(`read template ${nameOrId}`, async () => {
    try {
      return await superserveSdk().Template.connect(nameOrId, conn);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  });
}

async function deleteTemplate(ctx: OperationContext, id: string): Promise<void> {
  const conn = superserveConnection(await ctx.superserve());
  await ctx.retry(`delete template ${id}`, () => superserveSdk().Template.deleteById(id, conn), conflictIsTransient);
}

/** Wait for the latest build of `template`, streaming its log; cleans up and throws on failure. */
async function awaitBuild(ctx: OperationContext, inputs: SuperserveTemplateInputs, template: Template, buildId: string): Promise<SuperserveTemplateOutputs> {
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
        const { code, message } = build.status === "cancelled" ? { code: "cancelled", message: "the build was cancelled" } : buildFailure(build.errorMessage);
        await cleanUp(ctx, template.id, inputs);
        throw new Error(
          `Template ${inputs.name} failed to build (${code}): ${message}. Fix the step and run \`pulumi up\` again.` + logTail(tail),
        );
      }
      if (ctx.clock.now() + pollMs >= deadline) {
        abort.abort();
        await ctx.retry(`cancel build ${buildId}`, () => template.cancelBuild(buildId)).catch(() => undefined);
        await cleanUp(ctx, template.id, inputs);
        throw new Error(
          `Template ${inputs.name} did not finish building within ${Math.round((deadline - started) / 1000)}s; the build was cancelled and the template deleted. ` +
            "Raise buildTimeoutSeconds, or make the steps faster." + logTail(tail),
        );
      }
      await ctx.clock.sleep(pollMs);
    }
  } finally {
    abort.abort();
  }
}

async function cleanUp(ctx: OperationContext, id: string, inputs: SuperserveTemplateInputs): Promise<void> {
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

function outputsOf(
  inputs: SuperserveTemplateInputs,
  info: { name: string; status: string; builtAt?: Date; sizeBytes?: number; vcpu: number; memoryMib: number; diskMib: number },
  build: { id: string; buildSpecHash: string } | undefined,
  previous?: SuperserveTemplateOutputs,
): SuperserveTemplateOutputs {
  const outs: SuperserveTemplateOutputs = {
    ...inputs,
    name: info.name,
    status: info.status,
    buildId: build?.id ?? previous?.buildId ?? "",
    buildSpecHash: build?.buildSpecHash ?? previous?.buildSpecHash ?? "",
    vcpu: info.vcpu || inputs.vcpu,
    memoryMib: info.memoryMib || inputs.memoryMib,
    diskMib: info.diskMib || inputs.diskMib,
  };
  if (info.builtAt) outs.builtAt = info.builtAt.toISOString();
  if (info.sizeBytes !== undefined) outs.sizeBytes = info.sizeBytes;
  for (const key of ["vcpu", "memoryMib", "diskMib"] as const) if (outs[key] === undefined) delete outs[key];
  return outs;
}

/** Bring an existing template (ours, or adopted) to a finished build. */
async function finishExisting(ctx: OperationContext, inputs: SuperserveTemplateInputs, template: Template): Promise<{ id: string; outs: SuperserveTemplateOutputs }> {
  const buildId = template.latestBuildId;
  if (template.status === "ready" && buildId) {
    return { id: template.id, outs: outputsOf(inputs, template, await readBuild(ctx, template, buildId)) };
  }
  if (!buildId || template.status === "failed") {
    const build = await ctx.retry(`rebuild template ${inputs.name}`, () => template.rebuild());
    return { id: template.id, outs: await awaitBuild(ctx, inputs, template, build.id) };
  }
  return { id: template.id, outs: await awaitBuild(ctx, inputs, template, buildId) };
}

export const superserveTemplateDefinition: ResourceDefinition<SuperserveTemplateInputs, SuperserveTemplateOutputs> = {
  typeName: "SuperserveTemplate",
  services: ["superserve"],
  nameRules: templateNameRules,
  fields: {
    name: { change: "replace" },
    from: { change: "replace" },
    steps: { change: "replace" },
    vcpu: { change: "replace", serviceDefault: true },
    memoryMib: { change: "replace", serviceDefault: true },
    diskMib: { change: "replace", serviceDefault: true },
    startCmd: { change: "replace" },
    readyCmd: { change: "replace" },
    buildTimeoutSeconds: { change: "none" },
    verboseBuildLogs: { change: "none" },
  },
  timeoutSeconds: (inputs) => (inputs.buildTimeoutSeconds ?? 1800) + 300,
  validate,

  async create(inputs, ctx) {
    const conn = superserveConnection(await ctx.superserve());
    let sent = false;
    const template = await ctx.retry(
      `create template ${inputs.name}`,
      async () => {
        const existing = await connect(ctx, inputs.name);
        if (existing) {
          if (!inputs.autonamed && !sent) {
            throw new Error(
              `A Superserve template named "${inputs.name}" already exists and is not managed by this resource. ` +
                `Pick another name (or leave name unset to autoname), or take it over with adopt: { name: "${inputs.name}" }.`,
            );
          }
          ctx.log.info(`Adopted template ${inputs.name}, created by an earlier interrupted attempt.`);
          return existing;
        }
        sent = true;
        return superserveSdk().Template.create({
          ...conn,
          name: inputs.name,
          from: inputs.from,
          steps: inputs.steps,
          vcpu: inputs.vcpu,
          memoryMib: inputs.memoryMib,
          diskMib: inputs.diskMib,
          startCmd: inputs.startCmd,
          readyCmd: inputs.readyCmd,
        });
      },
      conflictIsTransient,
    );
    return finishExisting(ctx, inputs, template);
  },

  async adopt(inputs, ctx) {
    const template = await connect(ctx, inputs.adopt!.name);
    if (!template) {
      throw new Error(`adopt: no Superserve template named "${inputs.adopt!.name}". Check the name, or remove adopt to create a new template.`);
    }
    if (template.name !== inputs.name) {
      throw new Error(`adopt: the template is named "${template.name}" but name is "${inputs.name}"; templates cannot be renamed. Set name to "${template.name}" or leave it unset.`);
    }
    ctx.log.info(`Adopted existing template ${template.name}; its build spec is not compared with this resource's inputs (Superserve does not report it).`);
    return finishExisting(ctx, inputs, template);
  },

  async read(id, state, ctx) {
    const template = await connect(ctx, id);
    if (!template) return undefined;
    const buildId = template.latestBuildId;
    const build = buildId && buildId !== state.buildId ? await readBuild(ctx, template, buildId) : undefined;
    return outputsOf(state, template, build, state);
  },

  async update(_id, olds, news) {
    return { ...olds, buildTimeoutSeconds: news.buildTimeoutSeconds, verboseBuildLogs: news.verboseBuildLogs, adopt: news.adopt, pulumiUrn: news.pulumiUrn };
  },

  async delete(id, _state, ctx) {
    await deleteTemplate(ctx, id);
  },
};

/** Entry point of the trampoline (see `dynamic.ts`). */
export function createProvider(config: ConfigSource | undefined, environment?: ProviderEnvironment): ProviderMethods {
  return defineProvider(superserveTemplateDefinition, config, environment);
}
