/**
 * The template as Superserve has it: found by name or id, deleted, its builds read, and turned
 * into outputs. Every call runs with the operation's retries.
 */
import { superserveConnection, superserveSdk } from "../clients";
import type { OperationContext } from "../lifecycle";
import { conflictIsTransient, statusOf } from "../retry";
import type { SuperserveTemplateInputs, SuperserveTemplateOutputs } from "./state";

export type Template = Awaited<ReturnType<ReturnType<typeof superserveSdk>["Template"]["connect"]>>;

const isNotFound = (err: unknown) =>
  statusOf(err) === 404 || (err as Error)?.name === "NotFoundError";

export function readBuild(ctx: OperationContext, template: Template, buildId: string) {
  return ctx.retry(`read build ${buildId} of template ${template.name}`, () =>
    template.getBuild(buildId),
  );
}

export async function connect(
  ctx: OperationContext,
  nameOrId: string,
): Promise<Template | undefined> {
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

/**
 * Delete a template, waiting out a 409 (still building, or in use by sandboxes being deleted) until
 * `until` at the latest (default: the operation's deadline).
 */
export async function deleteTemplate(
  ctx: OperationContext,
  id: string,
  until?: number,
): Promise<void> {
  const conn = superserveConnection(await ctx.superserve());
  await ctx.retry(
    `delete template ${id}`,
    () => superserveSdk().Template.deleteById(id, conn),
    conflictIsTransient,
    until,
  );
}

export function outputsOf(
  inputs: SuperserveTemplateInputs,
  info: {
    name: string;
    status: string;
    builtAt?: Date;
    sizeBytes?: number;
    vcpu: number;
    memoryMib: number;
    diskMib: number;
  },
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
  for (const key of ["vcpu", "memoryMib", "diskMib"] as const)
    if (outs[key] === undefined) delete outs[key];
  return outs;
}
