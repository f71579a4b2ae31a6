/**
 * MountedSandbox `read` (refresh), which never wakes a paused sandbox: the state comes from
 * `Sandbox.list` (no side effects, unlike `Sandbox.connect`, which resumes a paused sandbox), and
 * the mount's health is checked only in an active sandbox.
 */
import { URN_TAG, type OperationContext } from "../lifecycle";
import { runStep } from "./exec";
import { healthCommand, parseHealth } from "./mount-commands";
import { findById, normalizeNetwork, SPEC_METADATA_KEY, superserve, type ListedSandbox } from "./sandboxes";
import type { MountedSandboxOutputs } from "./state";

export async function readSandbox(id: string, state: MountedSandboxOutputs, ctx: OperationContext): Promise<MountedSandboxOutputs | undefined> {
  const ss = await superserve(ctx);
  const live = await findById(ss, ctx, id);
  if (!live) return undefined;
  let mounted: boolean | undefined;
  if (live.status === "active") {
    const sandbox = await ctx.retry(`connect to sandbox ${id}`, () => ss.sdk.Sandbox.connect(id, ss.conn));
    const health = parseHealth(await runStep(sandbox, healthCommand(Object.values(state.mountPaths ?? {})), { step: "check the mount", hints: { default: "" }, timeoutMs: 30_000 }));
    mounted = health.mounted;
    if (!health.mounted) ctx.log.warn(`sandbox ${id}: ${health.reason}; \`pulumi up\` remounts it`);
  }
  return refreshedState(state, live, mounted);
}

/** The user's metadata (without the URN tag). */
function userMetadata(metadata: Record<string, string>): Record<string, string> | undefined {
  const rest = Object.fromEntries(Object.entries(metadata).filter(([k]) => k !== URN_TAG && k !== SPEC_METADATA_KEY));
  return Object.keys(rest).length > 0 ? rest : undefined;
}

/**
 * The state after a refresh: the service's status, metadata, network and timeouts over the
 * recorded state. `mounted` is the health check's answer when one ran (active sandboxes only),
 * otherwise the recorded value, so a paused sandbox shows drift on `status` alone.
 */
function refreshedState(state: MountedSandboxOutputs, live: ListedSandbox, mounted: boolean | undefined): MountedSandboxOutputs {
  const next: MountedSandboxOutputs = {
    ...state,
    sandboxId: live.id,
    status: live.status,
    mounted: mounted ?? state.mounted,
  };
  const metadata = userMetadata(live.metadata);
  if (metadata) next.metadata = metadata;
  else delete next.metadata;
  const network = normalizeNetwork(live.network);
  if (network) next.network = network;
  else delete next.network;
  setOptional(next, "timeoutSeconds", live.timeoutSeconds);
  setOptional(next, "autoDeleteSeconds", live.autoDeleteSeconds);
  return next;
}

function setOptional(target: MountedSandboxOutputs, key: "timeoutSeconds" | "autoDeleteSeconds", value: number | undefined): void {
  if (value === undefined || value === null) delete target[key];
  else target[key] = value;
}
