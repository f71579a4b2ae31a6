/**
 * MesaRepo `create` and `adopt`. A create retried after an interrupted run finds the repo it made
 * by name and adopts it when the repo carries this resource's URN tag; a repo of the same name that
 * is not ours is an error naming the way out (another name, or `adopt`).
 */
import { mesaClient } from "../clients";
import { URN_TAG, type OperationContext } from "../lifecycle";
import { conflictIsTransient } from "../retry";
import { apiUpstream, findRepo, outputsOf, reconcile } from "./live-repo";
import type { MesaRepoInputs, MesaRepoOutputs } from "./state";

/** Create the repo, or adopt the one an earlier, interrupted create of this URN left behind. */
export async function createRepo(
  inputs: MesaRepoInputs,
  ctx: OperationContext,
): Promise<{ id: string; outs: MesaRepoOutputs }> {
  const settings = await ctx.mesa();
  const org = await ctx.mesaOrg(inputs.org);
  let adopted = false;
  const live = await ctx.retry(
    `create Mesa repo ${org}/${inputs.name}`,
    async () => {
      const existing = await findRepo(ctx, org, inputs.name);
      if (existing) {
        if (existing.tags?.[URN_TAG] !== ctx.urn) {
          throw new Error(
            `A Mesa repo named "${inputs.name}" already exists in org "${org}" and is not managed by this resource. ` +
              `Pick another name (or leave name unset to autoname), or take it over with adopt: { name: "${inputs.name}" }.`,
          );
        }
        adopted = true;
        return existing;
      }
      const mesa = await mesaClient(settings, org);
      return await mesa.repos.create({
        name: inputs.name,
        default_bookmark: inputs.defaultBookmark,
        tags: { ...inputs.tags, [URN_TAG]: ctx.urn },
        upstream: apiUpstream(inputs.upstream),
      });
    },
    conflictIsTransient,
  );
  if (adopted)
    ctx.log.info(`Adopted Mesa repo ${org}/${inputs.name}, created by an earlier interrupted run.`);
  const final = adopted ? await reconcile(ctx, live, inputs) : live;
  return { id: final.id, outs: outputsOf(inputs, final) };
}

/** Take over the existing repo named by `inputs.adopt`, bringing it to the inputs. */
export async function adoptRepo(
  inputs: MesaRepoInputs,
  ctx: OperationContext,
): Promise<{ id: string; outs: MesaRepoOutputs }> {
  const org = await ctx.mesaOrg(inputs.org);
  const name = inputs.adopt!.name;
  const live = await findRepo(ctx, org, name);
  if (!live) {
    throw new Error(
      `adopt: no Mesa repo named "${name}" in org "${org}". Check the name (and org), or remove adopt to create a new repo.`,
    );
  }
  const owner = live.tags?.[URN_TAG];
  if (owner && owner !== ctx.urn)
    ctx.log.warn(
      `Mesa repo ${org}/${name} was managed by ${owner}; it is now managed by this resource.`,
    );
  const final = await reconcile(ctx, live, inputs);
  ctx.log.info(`Adopted existing Mesa repo ${org}/${name}.`);
  return { id: final.id, outs: outputsOf(inputs, final) };
}
