/** MesaRepo `update`: patch the live repo (name, default bookmark, tags, upstream) in place. */
import type { OperationContext } from "../lifecycle";
import { findRepo, outputsOf, reconcile } from "./live-repo";
import type { MesaRepoInputs, MesaRepoOutputs } from "./state";

export async function updateRepo(id: string, olds: MesaRepoOutputs, news: MesaRepoInputs, ctx: OperationContext): Promise<MesaRepoOutputs> {
  const live = await findRepo(ctx, olds.org, olds.name, id);
  if (!live) throw new Error(`Mesa repo ${olds.org}/${olds.name} (${id}) no longer exists. Run \`pulumi refresh\` to drop it from the stack, then \`pulumi up\` to create it again.`);
  const final = await reconcile(ctx, live, news, olds.upstream);
  return outputsOf(news, final);
}
