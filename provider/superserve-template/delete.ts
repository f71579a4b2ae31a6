/**
 * SuperserveTemplate `delete`: a template still building, or used by sandboxes that are being
 * deleted, is waited for a short, stated while; one already gone is fine. A template still in use
 * after that wait ends the delete with the sandboxes in the way and whether this stack made them.
 */
import { URN_TAG, type OperationContext } from "../lifecycle";
import { describeError, RetryDeadlineError, statusOf } from "../retry";
import { superserveConnection, superserveSdk } from "../clients";
import { deleteTemplate } from "./live-template";
import type { SuperserveTemplateOutputs } from "./state";

/**
 * How long a delete waits for a template's sandboxes to go. Long enough for sandboxes deleted in
 * the same run (their mounts flushed) to be gone; a sandbox nobody deletes keeps the template in
 * use however long the wait, so the delete stops and says which.
 */
export const TEMPLATE_IN_USE_WAIT_SECONDS = 30;

export async function deleteTemplateResource(
  id: string,
  state: SuperserveTemplateOutputs,
  ctx: OperationContext,
): Promise<void> {
  try {
    await deleteTemplate(ctx, id, ctx.clock.now() + TEMPLATE_IN_USE_WAIT_SECONDS * 1000);
  } catch (err) {
    if (err instanceof RetryDeadlineError && statusOf(err.lastError) === 409)
      throw new Error(await inUseMessage(ctx, state.name ?? id, err.lastError), { cause: err });
    throw err;
  }
}

/** `urn:pulumi:<stack>::<project>::<type>::<name>` → its parts, or undefined. */
function urnParts(urn: string): { stack: string; project: string; name: string } | undefined {
  const m = /^urn:pulumi:([^:]+)::([^:]+)::.*::([^:]+)$/.exec(urn);
  return m ? { stack: m[1], project: m[2], name: m[3] } : undefined;
}

/**
 * The sandboxes the service names in its 409 (or, when it names none, this stack's own), each with
 * who made it: this stack (then it is not in the stack's state: the stack deletes its sandboxes
 * before their template, so a killed run's create made it), another stack, or not Pulumi.
 */
async function inUseMessage(
  ctx: OperationContext,
  template: string,
  conflict: unknown,
): Promise<string> {
  const vendor = describeError(conflict);
  const head =
    `template ${template} is still in use after a ${TEMPLATE_IN_USE_WAIT_SECONDS} s wait ` +
    `(409: ${vendor}), so it was not deleted.`;
  const ours = urnParts(ctx.urn);
  let sandboxes;
  try {
    const conn = superserveConnection(await ctx.superserve());
    sandboxes = await ctx.retry("list sandboxes", () => superserveSdk().Sandbox.list(conn));
  } catch (err) {
    return `${head} Listing the sandboxes in the way failed (${describeError(err)}); delete the template's sandboxes, then run the destroy again.`;
  }
  const named = sandboxes.filter((s) => vendor.includes(s.id) || vendor.includes(s.name));
  const ofThisStack = (urn: string | undefined) => {
    const parts = urn ? urnParts(urn) : undefined;
    return parts !== undefined && parts.stack === ours?.stack && parts.project === ours.project;
  };
  const inTheWay =
    named.length > 0 ? named : sandboxes.filter((s) => ofThisStack(s.metadata[URN_TAG]));
  if (inTheWay.length === 0)
    return `${head} Delete the sandboxes made from it, then run the destroy again.`;
  const described = inTheWay.map((s) => {
    const urn = s.metadata[URN_TAG];
    const parts = urn ? urnParts(urn) : undefined;
    const who = !parts
      ? "not made by Pulumi (delete it yourself)"
      : ofThisStack(urn)
        ? `made by this stack's ${parts.name}, which its state no longer holds: left by a killed run's create (\`npm run destroy\` clears a killed run's pending creates and deletes what they made)`
        : `made by stack ${parts.stack} of project ${parts.project} (${parts.name}): destroy it there`;
    return `sandbox ${s.id} (${s.name}) ${who}`;
  });
  const which = named.length > 0 ? "In the way" : "The service names none; this stack's sandboxes";
  return `${head} ${which}: ${described.join("; ")}. Then run the destroy again.`;
}
