/**
 * SuperserveTemplate `create` and `adopt`, each ending in a finished build.
 *
 * Superserve templates carry no tags or metadata, so a create retried after an interrupted run
 * recognises its template by name: a generated (autonamed) name is unique to this resource, and a
 * name this very operation already sent a create for is ours too.
 */
import { superserveConnection, superserveSdk } from "../clients";
import type { OperationContext } from "../lifecycle";
import { conflictIsTransient } from "../retry";
import { finishExisting } from "./build";
import { connect } from "./live-template";
import type { SuperserveTemplateInputs, SuperserveTemplateOutputs } from "./state";

/** Create the template (or adopt the one an earlier, interrupted attempt created) and wait for its build. */
export async function createTemplate(
  inputs: SuperserveTemplateInputs,
  ctx: OperationContext,
): Promise<{ id: string; outs: SuperserveTemplateOutputs }> {
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
}

/** Take over the existing template named by `inputs.adopt` and bring it to a finished build. */
export async function adoptTemplate(
  inputs: SuperserveTemplateInputs,
  ctx: OperationContext,
): Promise<{ id: string; outs: SuperserveTemplateOutputs }> {
  const template = await connect(ctx, inputs.adopt!.name);
  if (!template) {
    throw new Error(
      `adopt: no Superserve template named "${inputs.adopt!.name}". Check the name, or remove adopt to create a new template.`,
    );
  }
  if (template.name !== inputs.name) {
    throw new Error(
      `adopt: the template is named "${template.name}" but name is "${inputs.name}"; templates cannot be renamed. Set name to "${template.name}" or leave it unset.`,
    );
  }
  ctx.log.info(
    `Adopted existing template ${template.name}; its build spec is not compared with this resource's inputs (Superserve does not report it).`,
  );
  return finishExisting(ctx, inputs, template);
}
