/**
 * MountedSandbox `update`: metadata, network rules and timeouts are patched in place; the token is
 * renewed and the repos remounted when `needsRemount` (in `token.ts`) says so.
 */
import type { OperationContext } from "../lifecycle";
import { mount, mountOutputs, prepareMesa } from "./mount";
import { findById, normalizeNetwork, sandboxMetadata, superserve } from "./sandboxes";
import type { MountedSandboxInputs, MountedSandboxOutputs } from "./state";
import { needsRemount } from "./token";

export async function updateSandbox(id: string, olds: MountedSandboxOutputs, news: MountedSandboxInputs, ctx: OperationContext): Promise<MountedSandboxOutputs> {
  const ss = await superserve(ctx);
  const live = await findById(ss, ctx, id);
  if (!live) throw new Error(`sandbox ${id} no longer exists. Run \`pulumi refresh\` to drop it from the stack, then \`pulumi up\` to create a new one.`);
  const patch: Parameters<typeof ss.sdk.Sandbox.updateById>[1] = {};
  const metadata = sandboxMetadata(news, ctx.urn);
  if (JSON.stringify(metadata) !== JSON.stringify(live.metadata)) patch.metadata = metadata;
  const network = normalizeNetwork(news.network);
  if (JSON.stringify(network ?? {}) !== JSON.stringify(normalizeNetwork(live.network) ?? {})) patch.network = network ?? { allowOut: [], denyOut: [] };
  if (news.timeoutSeconds !== undefined && news.timeoutSeconds !== live.timeoutSeconds) patch.timeoutSeconds = news.timeoutSeconds;
  if (news.autoDeleteSeconds !== undefined && news.autoDeleteSeconds !== live.autoDeleteSeconds) patch.autoDeleteSeconds = news.autoDeleteSeconds;
  if (Object.keys(patch).length > 0) {
    await ctx.retry(`update sandbox ${id}`, () => ss.sdk.Sandbox.updateById(id, patch, ss.conn));
  }
  const base: MountedSandboxOutputs = { ...olds, ...news, sandboxId: id, status: live.status };
  if (!needsRemount(olds, news, ctx.clock.now())) return base;
  if (live.status !== "active") {
    ctx.log.warn(`sandbox ${id} is ${live.status}; its token is renewed and its mount restarted by the first \`pulumi up\` after it resumes`);
    return base;
  }
  const sandbox = await ctx.retry(`connect to sandbox ${id}`, () => ss.sdk.Sandbox.connect(id, ss.conn));
  const prep = await prepareMesa(ctx, olds.org || undefined, news.repos, news.tokenTtlSeconds);
  await mount(sandbox, prep, news, false, ctx);
  ctx.log.info(`sandbox ${id}: token renewed (expires ${prep.expiresAt}) and repos remounted`);
  return { ...base, ...mountOutputs(prep.org, prep.repos), mounted: true, tokenExpiresAt: prep.expiresAt };
}
