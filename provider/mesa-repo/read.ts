/** MesaRepo `read` (refresh): the live repo over the recorded state, or undefined when it is gone. */
import type { OperationContext } from "../lifecycle";
import { findRepo, outputsOf } from "./live-repo";
import type { MesaRepoOutputs } from "./state";

export async function readRepo(
  id: string,
  state: MesaRepoOutputs,
  ctx: OperationContext,
): Promise<MesaRepoOutputs | undefined> {
  const live = await findRepo(ctx, state.org, state.name, id);
  return live ? outputsOf(state, live) : undefined;
}
