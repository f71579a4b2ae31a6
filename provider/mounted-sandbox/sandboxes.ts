/**
 * The Superserve side of a mounted sandbox: access for one operation (with the data plane routed
 * to a local backend when one is in use), the metadata that tags a sandbox with its resource, and
 * finding this resource's sandboxes by that tag or by id.
 */
import type { SandboxInfo } from "@superserve/sdk";
import { createHash } from "node:crypto";
import { superserveConnection, superserveSdk } from "../clients";
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
export function specDigest(
  inputs: Pick<MountedSandboxInputs, "name" | "template" | "repos" | "envVars" | "secrets">,
): string {
  const spec = JSON.stringify([
    inputs.name,
    inputs.template,
    inputs.repos,
    inputs.envVars ?? {},
    inputs.secrets ?? {},
  ]);
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
  sdk: typeof import("@superserve/sdk");
  conn: { apiKey: string; baseUrl?: string };
}

/** Superserve access for one operation, with the data plane routed to the local backend when it is in use. */
export async function superserve(ctx: OperationContext): Promise<Superserve> {
  const settings = await ctx.superserve();
  routeDataPlane(settings);
  return { sdk: superserveSdk(), conn: superserveConnection(settings) };
}

/** Sandboxes tagged with this URN (how an interrupted create or a replacement is recognised). */
export async function listTagged(ss: Superserve, ctx: OperationContext): Promise<ListedSandbox[]> {
  return ctx.retry("list sandboxes", () =>
    ss.sdk.Sandbox.list({ ...ss.conn, metadata: { [URN_TAG]: ctx.urn } }),
  );
}

/** The sandbox with this id (refresh, update, delete), or undefined when it is gone. */
export async function findById(
  ss: Superserve,
  ctx: OperationContext,
  id: string,
): Promise<ListedSandbox | undefined> {
  const tagged = (await listTagged(ss, ctx)).find((s) => s.id === id);
  if (tagged) return tagged;
  const all: SandboxInfo[] = await ctx.retry("list sandboxes", () => ss.sdk.Sandbox.list(ss.conn));
  return all.find((s) => s.id === id);
}

/** The sandbox's metadata: the user's, plus the URN and spec tags. */
export function sandboxMetadata(inputs: MountedSandboxInputs, urn: string): Record<string, string> {
  return { ...(inputs.metadata ?? {}), [URN_TAG]: urn, [SPEC_METADATA_KEY]: specDigest(inputs) };
}
