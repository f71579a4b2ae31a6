/** MesaRepo `delete`: deletes the repo and its history; a repo already gone is fine. */
import { mesaClient } from "../clients";
import type { OperationContext } from "../lifecycle";
import { statusOf } from "../retry";
import { findRepo } from "./live-repo";
import type { MesaRepoOutputs } from "./state";

export async function deleteRepo(id: string, state: MesaRepoOutputs, ctx: OperationContext): Promise<void> {
  const live = await findRepo(ctx, state.org, state.name, id);
  if (!live) return;
  const settings = await ctx.mesa();
  await ctx.retry(`delete Mesa repo ${live.org}/${live.name}`, async () => {
    const mesa = await mesaClient(settings, live.org);
    try {
      await mesa.repos.delete({ repo: live.name });
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
    }
  });
}
