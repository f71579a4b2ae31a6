/**
 * The Superserve side of a mounted sandbox: access for one operation (with the data plane routed
 * to a local backend when one is in use), the metadata that tags a sandbox with its resource, and
 * finding this resource's sandboxes by that tag or by id.
 */
import type { SandboxInfo } from "@superserve/sdk";
import { createHash } from "node:crypto";
import { superserveConnection, superserveSdk } from "../clients";
import type { SuperserveSettings } from "../config";
import { routeDataPlane } from "../data-plane";
import { URN_TAG, type OperationContext } from "../lifecycle";
import type { MountedSandboxInputs, SandboxNetwork } from "./state";

/**
 * Metadata key carrying a digest of the inputs that force a replacement: a create adopts an
 * earlier sandbox of its URN only when it was made from the same inputs (the sandbox of an
 * interrupted create), never the predecessor a replacement is about to delete.
 */
export const SPEC_METADATA_KEY = "pulumi-spec";

/** Digest of the replace-forcing inputs (a SHA-256, so env values are not readable from it). */
export function specDigest(inputs: Pick<MountedSandboxInputs, "name" | "template" | "repos" | "envVars" | "secrets">): string {
  const spec = JSON.stringify([inputs.name, inputs.template, inputs.repos, inputs.envVars ?? {}, inputs.secrets ?? {}]);
  return createHash("sha256").update(spec).digest("hex").slice(0, 32);
}

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
  return listed.find((s) => s.metadata[URN_TAG] === urn && s.status !== "failed");
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

/** Superserve access for one operation. */
export interface Superserve {
  settings: SuperserveSettings;
  sdk: typeof import("@superserve/sdk");
  conn: { apiKey: string; baseUrl?: string };
}

/** Superserve access for one operation, with the data plane routed to the local backend when it is in use. */
export async function superserve(ctx: OperationContext): Promise<Superserve> {
  const settings = await ctx.superserve();
  routeDataPlane(settings);
  return { settings, sdk: superserveSdk(), conn: superserveConnection(settings) };
}

/** Sandboxes tagged with this URN (how an interrupted create or a replacement is recognised). */
export async function listTagged(ss: Superserve, ctx: OperationContext): Promise<ListedSandbox[]> {
  return ctx.retry("list sandboxes", () => ss.sdk.Sandbox.list({ ...ss.conn, metadata: { [URN_TAG]: ctx.urn } }));
}

/** The sandbox with this id (refresh, update, delete), or undefined when it is gone. */
export async function findById(ss: Superserve, ctx: OperationContext, id: string): Promise<ListedSandbox | undefined> {
  const tagged = findSandbox(await listTagged(ss, ctx), id, ctx.urn);
  if (tagged) return tagged;
  const all: SandboxInfo[] = await ctx.retry("list sandboxes", () => ss.sdk.Sandbox.list(ss.conn));
  return findSandbox(all, id, ctx.urn);
}

/** The sandbox's metadata: the user's, plus the URN and spec tags. */
export function sandboxMetadata(inputs: MountedSandboxInputs, urn: string): Record<string, string> {
  return { ...(inputs.metadata ?? {}), [URN_TAG]: urn, [SPEC_METADATA_KEY]: specDigest(inputs) };
}

export function apiNetwork(network: MountedSandboxInputs["network"]): { allowOut?: string[]; denyOut?: string[] } | undefined {
  return normalizeNetwork(network);
}
