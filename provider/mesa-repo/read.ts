/**
 * MesaRepo `read` (refresh, and `MesaRepo.get`): the live repo over the recorded state, or
 * undefined when it is gone. A `get` records nothing, so the repo is found by id in the configured
 * org.
 */
import type { OperationContext } from "../lifecycle";
import { findRepo, outputsOf } from "./live-repo";
import type { MesaRepoOutputs } from "./state";

export async function readRepo(
  id: string,
  state: MesaRepoOutputs,
  ctx: OperationContext,
): Promise<MesaRepoOutputs | undefined> {
  const org = state.org ?? (await ctx.mesaOrg());
  const live = await findRepo(ctx, org, state.name, id);
  return live ? outputsOf(state, live) : undefined;
}
