import { DEFAULT_TEMPLATE } from "../../templates/builtin-templates";
import type { ControlHandler } from "../context";
import { EgressPolicy, RuleError } from "../../egress";
import { errors } from "../../errors";
import { withPlaceholders } from "../../sandboxes/secret-bindings";
import { networkEventJson, sandboxJson } from "../serialize";
import type { NetworkVerdict } from "../../store/records";
import {
  asObject,
  envMap,
  optInt,
  optNullableInt,
  optString,
  reqBoundedString,
  reqString,
  stringList,
  stringMap,
} from "../validate";

/** Longest sandbox name (the spec's `maxLength`). */
const MAX_NAME_LENGTH = 64;

/** Longest `timeout_seconds` (the spec's maximum: 7 days). */
const MAX_TIMEOUT_SECONDS = 604_800;

/**
 * The fields a PATCH may carry: the spec's `network` and `metadata`, and the lifetimes the SDK's
 * `update` also sends (DIVERGENCES.md). Any other field is a 400, as the spec documents.
 */
const PATCHABLE = new Set(["network", "metadata", "timeout_seconds", "auto_delete_seconds"]);

/** The service's limits on a string map (`validateMetadata`, `validateEnvVars`; the spec documents metadata's). */
interface MapLimits {
  maxKeys: number;
  maxKeyBytes: number;
  maxValueBytes: number;
  maxTotalBytes: number;
  /** Key prefixes refused, compared case-insensitively. */
  reserved: string[];
}
const METADATA_LIMITS: MapLimits = {
  maxKeys: 64,
  maxKeyBytes: 256,
  maxValueBytes: 2048,
  maxTotalBytes: 16_384,
  reserved: ["superserve.", "_superserve"],
};
const ENV_VARS_LIMITS: MapLimits = {
  maxKeys: 64,
  maxKeyBytes: 256,
  maxValueBytes: 8192,
  maxTotalBytes: 65_536,
  reserved: [],
};

/** `map` (the body's `field`) within `limits`; a 400 naming the field and the limit otherwise. */
function withinLimits(
  field: string,
  map: Record<string, string>,
  limits: MapLimits,
): Record<string, string> {
  const entries = Object.entries(map);
  if (entries.length > limits.maxKeys)
    throw errors.invalid(field, `has ${entries.length} keys; at most ${limits.maxKeys}`);
  let total = 0;
  for (const [k, v] of entries) {
    const name = `${field}[${JSON.stringify(k)}]`;
    if (k === "") throw errors.invalid(field, "keys must not be empty");
    if (Buffer.byteLength(k) > limits.maxKeyBytes)
      throw errors.invalid(name, `keys are at most ${limits.maxKeyBytes} bytes`);
    if (Buffer.byteLength(v) > limits.maxValueBytes)
      throw errors.invalid(name, `values are at most ${limits.maxValueBytes} bytes`);
    const reserved = limits.reserved.find((p) => k.toLowerCase().startsWith(p));
    if (reserved) throw errors.invalid(name, `the prefix ${reserved} is reserved for the platform`);
    total += Buffer.byteLength(k) + Buffer.byteLength(v);
    if (total > limits.maxTotalBytes)
      throw errors.invalid(field, `is larger than ${limits.maxTotalBytes} bytes in total`);
  }
  return map;
}

const metadata = (body: Record<string, unknown>) =>
  withinLimits("metadata", stringMap(body, "metadata"), METADATA_LIMITS);

function network(
  o: Record<string, unknown>,
): { allow_out?: string[]; deny_out?: string[] } | undefined {
  if (o.network === undefined) return undefined;
  if (o.network === null)
    throw errors.invalid("network", "must be an object {allow_out?, deny_out?}");
  const n = asObject(o.network, "network");
  const allow = stringList(n, "allow_out");
  const deny = stringList(n, "deny_out");
  try {
    EgressPolicy.compile({ allow_out: allow ?? [], deny_out: deny ?? [] });
  } catch (err) {
    if (err instanceof RuleError) throw errors.invalid(err.field, err.message);
    throw err;
  }
  return { ...(allow && { allow_out: allow }), ...(deny && { deny_out: deny }) };
}

export const createSandbox: ControlHandler = async (ctx) => {
  const body = asObject(ctx.body, "request body");
  if (body.from_snapshot !== undefined)
    throw errors.notImplemented("from_snapshot (creating a sandbox from a snapshot)");
  const name = reqBoundedString(body, "name", MAX_NAME_LENGTH);
  const net = network(body) ?? {};
  const timeout = optInt(body, "timeout_seconds", 1, MAX_TIMEOUT_SECONDS);
  const autoDelete = optInt(body, "auto_delete_seconds", 0);
  const s = await ctx.services.sandboxes.create({
    name,
    templateIdOrName: optString(body, "from_template") ?? DEFAULT_TEMPLATE,
    metadata: metadata(body),
    envVars: withinLimits("env_vars", envMap(body, "env_vars"), ENV_VARS_LIMITS),
    secrets: envMap(body, "secrets"),
    network: { allow_out: net.allow_out ?? [], deny_out: net.deny_out ?? [] },
    ...(timeout !== undefined && { timeoutSeconds: timeout }),
    ...(autoDelete !== undefined && { autoDeleteSeconds: autoDelete }),
  });
  return { status: 201, body: { ...sandboxJson(s), access_token: s.access_token } };
};

export const listSandboxes: ControlHandler = async (ctx) => {
  const filters: [string, string][] = [];
  for (const [k, v] of ctx.query)
    if (k.startsWith("metadata.")) filters.push([k.slice("metadata.".length), v]);
  const all = ctx.services.store
    .listSandboxes()
    .filter((s) => filters.every(([k, v]) => s.metadata[k] === v));
  return { status: 200, body: all.map(sandboxJson) };
};

export const getSandbox: ControlHandler = async (ctx) => ({
  status: 200,
  body: sandboxJson(ctx.services.sandboxes.get(ctx.params.id)),
});

export const patchSandbox: ControlHandler = async (ctx) => {
  const body = asObject(ctx.body, "request body");
  const unknown = Object.keys(body).find((k) => !PATCHABLE.has(k));
  if (unknown !== undefined)
    throw errors.invalid(
      unknown,
      `is not a patchable field; send only ${[...PATCHABLE].join(", ")}`,
    );
  if (Object.keys(body).length === 0)
    throw errors.badRequest(
      "the patch is empty: send a JSON body with at least one of network, metadata",
    );
  const timeout = optNullableInt(body, "timeout_seconds", 1, MAX_TIMEOUT_SECONDS);
  const autoDelete = optNullableInt(body, "auto_delete_seconds", 0);
  const net = network(body);
  await ctx.services.sandboxes.update(ctx.params.id, {
    ...(body.metadata !== undefined && { metadata: metadata(body) }),
    ...(net && { network: net }),
    ...(timeout !== undefined && { timeoutSeconds: timeout }),
    ...(autoDelete !== undefined && { autoDeleteSeconds: autoDelete }),
  });
  return { status: 204 };
};

export const pauseSandbox: ControlHandler = async (ctx) => {
  await ctx.services.sandboxes.pause(ctx.params.id);
  return { status: 204 };
};

export const resumeSandbox: ControlHandler = async (ctx) => {
  const s = await ctx.services.sandboxes.activate(ctx.params.id);
  return { status: 200, body: { id: s.id, status: s.status, access_token: s.access_token } };
};

export const activateSandbox: ControlHandler = async (ctx) => {
  const s = await ctx.services.sandboxes.activate(ctx.params.id);
  return { status: 200, body: { ...sandboxJson(s), access_token: s.access_token } };
};

export const deleteSandbox: ControlHandler = async (ctx) => {
  await ctx.services.sandboxes.remove(ctx.params.id);
  return { status: 204 };
};

/** `limit` of the log and audit listings: 1-200, default 50 (the vendor's API reference). */
export function pageLimit(query: URLSearchParams): number {
  const raw = query.get("limit");
  if (raw === null) return 50;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > 200)
    throw errors.invalid("limit", "must be an integer between 1 and 200");
  return n;
}

const VERDICTS: readonly NetworkVerdict[] = ["allowed", "blocked", "failed"];

/** A page cursor names the last row shown: its time and id, opaque to clients. */
const encodeCursor = (ts: string, id: number) => Buffer.from(`${ts}|${id}`).toString("base64url");

/** `before`: a cursor from `next_cursor`, or an RFC 3339 time. */
function beforeParam(raw: string): { ts: string; id?: number } {
  const decoded = /^(\d{4}-\d\d-\d\dT[^|]+)\|(\d+)$/.exec(Buffer.from(raw, "base64url").toString());
  if (decoded) return { ts: decoded[1], id: Number(decoded[2]) };
  return { ts: timeParam("before", raw) };
}

function timeParam(field: string, raw: string): string {
  const t = Date.parse(raw);
  if (!/^\d{4}-\d\d-\d\dT/.test(raw) || Number.isNaN(t))
    throw errors.invalid(field, "must be an RFC 3339 time (2026-06-11T14:00:00Z) or a next_cursor");
  return new Date(t).toISOString();
}

export const networkLog: ControlHandler = async (ctx) => {
  const s = ctx.services.sandboxes.get(ctx.params.id);
  const limit = pageLimit(ctx.query);
  const before = ctx.query.get("before");
  const since = ctx.query.get("since");
  const verdict = ctx.query.get("verdict");
  if (verdict !== null && !VERDICTS.includes(verdict as NetworkVerdict))
    throw errors.invalid("verdict", `must be one of ${VERDICTS.join(", ")}`);
  const rows = ctx.services.store.listNetworkEvents(s.id, {
    limit: limit + 1,
    ...(before !== null && { before: beforeParam(before) }),
    ...(since !== null && { since: timeParam("since", since) }),
    ...(verdict !== null && { verdict: verdict as NetworkVerdict }),
  });
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  const hasMore = rows.length > limit && last !== undefined;
  return {
    status: 200,
    body: {
      data: page.map(networkEventJson),
      next_cursor: hasMore ? encodeCursor(last.ts, last.id) : null,
      has_more: hasMore,
    },
  };
};

export const attachSecret: ControlHandler = async (ctx) => {
  const body = asObject(ctx.body, "request body");
  const envKey = reqString(body, "env_key");
  const name = reqString(body, "secret_name");
  const { store, sandboxes } = ctx.services;
  if (!store.getSecret(name)) throw errors.notFound("secret", name);
  const s = sandboxes.get(ctx.params.id);
  const placeholders = { ...s.secret_placeholders };
  if (s.secrets[envKey] !== name) delete placeholders[envKey];
  store.putSandbox(
    withPlaceholders(store, {
      ...s,
      secrets: { ...s.secrets, [envKey]: name },
      secret_placeholders: placeholders,
    }),
  );
  return { status: 201, body: { env_key: envKey, secret_name: name } };
};

export const detachSecret: ControlHandler = async (ctx) => {
  const { store, sandboxes } = ctx.services;
  const s = sandboxes.get(ctx.params.id);
  const key = ctx.params.key;
  if (!(key in s.secrets)) throw errors.notFound("secret binding", key);
  const { [key]: _gone, ...rest } = s.secrets;
  store.putSandbox(withPlaceholders(store, { ...s, secrets: rest }));
  return { status: 204 };
};
