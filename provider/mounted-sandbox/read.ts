/**
 * MountedSandbox `read` (refresh), which never wakes a paused sandbox: the state comes from
 * `Sandbox.list` (no side effects, unlike `Sandbox.connect`, which resumes a paused sandbox), and
 * the mount's health is checked only in an active sandbox. A mount that cannot be checked (the
 * sandbox is paused or resuming, or the check failed) is not reported as mounted, so the next
 * `pulumi up` plans an update that checks it in the running sandbox and remounts it when needed.
 * The workspaces (what the agent did) are read from Mesa, whatever the sandbox's status.
 */
import { URN_TAG, type OperationContext } from "../lifecycle";
import { checkMount, firstMountPath, knowsMount } from "./mount";
import {
  findById,
  normalizeNetwork,
  SPEC_METADATA_KEY,
  superserve,
  type ListedSandbox,
  type Superserve,
} from "./sandboxes";
import type { MountedSandboxOutputs } from "./state";
import { recordedTargets, sandboxWorkspaces } from "./workspace-progress";

export async function readSandbox(
  id: string,
  state: MountedSandboxOutputs,
  ctx: OperationContext,
): Promise<MountedSandboxOutputs | undefined> {
  const ss = await superserve(ctx);
  const live = await findById(ss, ctx, id);
  if (!live) return undefined;
  if (state.repos === undefined && state.mountPaths === undefined)
    return refreshedState(readById(live), live, false);
  const [mounted, workspace] = await Promise.all([
    mountHealth(id, live, state, ss, ctx),
    sandboxWorkspaces(ctx, state.org || undefined, recordedTargets(state)),
  ]);
  return { ...refreshedState(state, live, mounted), workspace };
}

/** Whether the mount serves, checked only in an active sandbox (connecting resumes a paused one). */
async function mountHealth(
  id: string,
  live: ListedSandbox,
  state: MountedSandboxOutputs,
  ss: Superserve,
  ctx: OperationContext,
): Promise<boolean> {
  let mounted = false;
  if (live.status === "active" && knowsMount(state)) {
    const sandbox = await ctx.retry(`connect to sandbox ${id}`, () =>
      ss.sdk.Sandbox.connect(id, ss.conn),
    );
    const health = await checkMount(sandbox, state.mountPaths, ctx);
    mounted = health.mounted;
    if (!health.mounted) ctx.log.warn(`sandbox ${id}: ${health.reason}; \`pulumi up\` remounts it`);
  } else if (state.mounted) {
    ctx.log.info(
      `sandbox ${id} is ${live.status}: its mount cannot be checked without resuming it; \`pulumi up\` resumes it, checks the mount and remounts it when needed`,
    );
  }
  return mounted;
}

/**
 * The state of a sandbox read by id (`MountedSandbox.get`), which records nothing: what the service
 * reports; the mounts, which only the state of the stack that made the sandbox knows, empty.
 */
function readById(live: ListedSandbox): MountedSandboxOutputs {
  return { ...noMountState(live), repos: [] };
}

/** A sandbox's state with no mount known: its name, no repos, empty mount outputs, no token. */
export function noMountState(live: Pick<ListedSandbox, "name">): MountedSandboxOutputs {
  return {
    name: live.name,
    org: "",
    mountPaths: {},
    bookmarks: {},
    workspace: {},
    tokenExpiresAt: "",
  } as unknown as MountedSandboxOutputs;
}

/** The user's metadata (without the URN tag). */
function userMetadata(metadata: Record<string, string>): Record<string, string> | undefined {
  const rest = Object.fromEntries(
    Object.entries(metadata).filter(([k]) => k !== URN_TAG && k !== SPEC_METADATA_KEY),
  );
  return Object.keys(rest).length > 0 ? rest : undefined;
}

/**
 * The state after a refresh: the service's status, metadata, network and timeouts over the
 * recorded state, and `mounted` as the health check found it (false when none could run).
 */
export function refreshedState(
  state: MountedSandboxOutputs,
  live: ListedSandbox,
  mounted: boolean,
): MountedSandboxOutputs {
  const next: MountedSandboxOutputs = {
    ...state,
    mountPath: firstMountPath(state),
    sandboxId: live.id,
    status: live.status,
    mounted,
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

function setOptional(
  target: MountedSandboxOutputs,
  key: "timeoutSeconds" | "autoDeleteSeconds",
  value: number | undefined,
): void {
  if (value === undefined || value === null) delete target[key];
  else target[key] = value;
}
