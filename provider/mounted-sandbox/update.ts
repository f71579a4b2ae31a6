/**
 * MountedSandbox `update`: metadata, network rules and timeouts are patched in place; when
 * `remountReason` (in `token.ts`) says the mount needs attention, the sandbox is resumed if it is
 * paused, and the token renewed and the repos remounted — or, when only the mount's health was in
 * doubt, the mount checked first and remounted only when it does not serve. The workspaces are
 * read from Mesa again, keeping the fork bases the state recorded.
 */
import type { OperationContext } from "../lifecycle";
import { checkMount, firstMountPath, knowsMount, mount, mountOutputs, prepareMesa } from "./mount";
import { findById, normalizeNetwork, sandboxMetadata, superserve } from "./sandboxes";
import type { MountedSandboxInputs, MountedSandboxOutputs } from "./state";
import type { PreparedRepo } from "./workspace";
import { remountReason } from "./token";
import { preparedTargets, recordedTargets, sandboxWorkspaces } from "./workspace-progress";

export async function updateSandbox(
  id: string,
  olds: MountedSandboxOutputs,
  news: MountedSandboxInputs,
  ctx: OperationContext,
): Promise<MountedSandboxOutputs> {
  const { outs, prepared } = await updateLive(id, olds, news, ctx);
  const targets = prepared ? preparedTargets(prepared, olds.workspace) : recordedTargets(outs);
  return { ...outs, workspace: await sandboxWorkspaces(ctx, outs.org || undefined, targets) };
}

/** The update on the sandbox; `prepared` are the repos when it remounted them. */
async function updateLive(
  id: string,
  olds: MountedSandboxOutputs,
  news: MountedSandboxInputs,
  ctx: OperationContext,
): Promise<{ outs: MountedSandboxOutputs; prepared?: PreparedRepo[] }> {
  const ss = await superserve(ctx);
  const live = await findById(ss, ctx, id);
  if (!live)
    throw new Error(
      `sandbox ${id} no longer exists. Run \`pulumi refresh\` to drop it from the stack, then \`pulumi up\` to create a new one.`,
    );
  const patch: Parameters<typeof ss.sdk.Sandbox.updateById>[1] = {};
  const metadata = sandboxMetadata(news, ctx.urn);
  if (JSON.stringify(metadata) !== JSON.stringify(live.metadata)) patch.metadata = metadata;
  const network = normalizeNetwork(news.network);
  if (JSON.stringify(network ?? {}) !== JSON.stringify(normalizeNetwork(live.network) ?? {}))
    patch.network = network ?? { allowOut: [], denyOut: [] };
  if (news.timeoutSeconds !== undefined && news.timeoutSeconds !== live.timeoutSeconds)
    patch.timeoutSeconds = news.timeoutSeconds;
  if (news.autoDeleteSeconds !== undefined && news.autoDeleteSeconds !== live.autoDeleteSeconds)
    patch.autoDeleteSeconds = news.autoDeleteSeconds;
  const reason = remountReason(olds, news, ctx.clock.now());
  // Resume first: a paused sandbox refuses network changes, and the mount is checked in a running one.
  if (reason && live.status !== "active")
    ctx.log.info(
      `sandbox ${id} is ${live.status}; resuming it to ${reason === "token" ? "renew its token and remount" : "check its mount"}`,
    );
  const sandbox = reason
    ? await ctx.retry(`connect to sandbox ${id}`, () => ss.sdk.Sandbox.connect(id, ss.conn))
    : undefined;
  if (Object.keys(patch).length > 0) {
    await ctx.retry(`update sandbox ${id}`, () => ss.sdk.Sandbox.updateById(id, patch, ss.conn));
  }
  const base: MountedSandboxOutputs = {
    ...olds,
    ...news,
    mountPath: firstMountPath(olds),
    sandboxId: id,
    status: sandbox ? "active" : live.status,
  };
  if (!sandbox) return { outs: base };
  if (reason === "mount" && knowsMount(olds)) {
    const health = await checkMount(sandbox, olds.mountPaths, ctx);
    if (health.mounted) {
      ctx.log.info(`sandbox ${id}: the mount serves the repos`);
      return { outs: { ...base, mounted: true } };
    }
    ctx.log.status(`sandbox ${id}: ${health.reason}; remounting`);
  }
  const prep = await prepareMesa(ctx, olds.org || undefined, news.repos, news.tokenTtlSeconds);
  await mount(sandbox, prep, news, false, ctx);
  ctx.log.info(`sandbox ${id}: token renewed (expires ${prep.expiresAt}) and repos remounted`);
  return {
    outs: {
      ...base,
      ...mountOutputs(prep.org, prep.repos),
      mounted: true,
      tokenExpiresAt: prep.expiresAt,
    },
    prepared: prep.repos,
  };
}
