/**
 * Refresh of a mounted sandbox from what `Sandbox.list` reports — a read with no side effects
 * (unlike `Sandbox.connect`, which resumes a paused sandbox). Pure functions, so every drift case
 * is testable without a service.
 */
import type { MountedSandboxOutputs, SandboxNetwork } from "./check";
import { SPEC_METADATA_KEY, URN_METADATA_KEY } from "./check";

/** The fields of the SDK's `SandboxInfo` that refresh reads. */
export interface ListedSandbox {
  id: string;
  name: string;
  status: string;
  timeoutSeconds?: number;
  autoDeleteSeconds?: number;
  network?: SandboxNetwork;
  metadata: Record<string, string>;
}

/** The listed sandbox with this id, or (when no id is known) the one tagged with this URN. */
export function findSandbox(listed: readonly ListedSandbox[], id: string | undefined, urn: string): ListedSandbox | undefined {
  if (id) return listed.find((s) => s.id === id);
  return listed.find((s) => s.metadata[URN_METADATA_KEY] === urn && s.status !== "failed");
}

/** The user's metadata (without the URN tag). */
export function userMetadata(metadata: Record<string, string>): Record<string, string> | undefined {
  const rest = Object.fromEntries(Object.entries(metadata).filter(([k]) => k !== URN_METADATA_KEY && k !== SPEC_METADATA_KEY));
  return Object.keys(rest).length > 0 ? rest : undefined;
}

function nonEmpty(list: string[] | undefined): string[] | undefined {
  return list && list.length > 0 ? [...list] : undefined;
}

/** Network rules with empty lists dropped, so "unset" and "empty" compare equal. */
export function normalizeNetwork(network: SandboxNetwork | undefined): SandboxNetwork | undefined {
  if (!network) return undefined;
  const out: SandboxNetwork = {};
  const allow = nonEmpty(network.allowOut);
  const deny = nonEmpty(network.denyOut);
  if (allow) out.allowOut = allow;
  if (deny) out.denyOut = deny;
  return allow || deny ? out : undefined;
}

/**
 * The state after a refresh: the service's status, metadata, network and timeouts over the
 * recorded state. `mounted` is the health check's answer when one ran (active sandboxes only),
 * otherwise the recorded value, so a paused sandbox shows drift on `status` alone.
 */
export function refreshedState(state: MountedSandboxOutputs, live: ListedSandbox, mounted: boolean | undefined): MountedSandboxOutputs {
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
