import { hashApiKey } from "../auth";
import { mesaErrors } from "../errors";
import type { Handler } from "../operations";
import { apiKeyJson } from "../serialize";
import type { ApiKeyRecord, Scope } from "../store";
import {
  decodeCursor,
  encodeCursor,
  parseEnum,
  parseLimit,
  requireObject,
  validateTags,
} from "../validate";

const SCOPES = ["read", "write", "admin"] as const satisfies readonly Scope[];

const STATUSES = ["active", "revoked", "expired", "all"] as const;

function keyStatus(k: ApiKeyRecord, now: number): (typeof STATUSES)[number] {
  if (k.revokedAt !== null) return "revoked";
  return k.expiresAt !== null && Date.parse(k.expiresAt) <= now ? "expired" : "active";
}

/**
 * `GET /{org}/api-keys`: the org's keys in creation order (never the key material), filtered by
 * `status` (default all), `scope`, `repo_id` and a `query` on the name.
 */
export const listApiKeys: Handler = async ({ org, query, services }) => {
  const limit = parseLimit(query.get("limit"));
  const offset = decodeCursor(query.get("cursor")) ?? 0;
  const status = parseEnum(query.get("status"), "status", STATUSES, "all");
  const scope = parseEnum(query.get("scope"), "scope", SCOPES);
  const repoId = query.get("repo_id");
  const name = query.get("query");
  if (name === "")
    throw mesaErrors.badRequest("`query` must not be empty; omit it to list every key", {
      field: "query",
    });
  const now = services.clock.now();
  const keys = services.store
    .listApiKeys(org.id)
    .filter((k) => status === "all" || keyStatus(k, now) === status)
    .filter((k) => scope === undefined || k.scopes.includes(scope))
    .filter((k) => repoId === null || (k.repoIds ?? []).includes(repoId))
    .filter((k) => name === null || (k.name ?? "").toLowerCase().includes(name.toLowerCase()));
  const page = keys.slice(offset, offset + limit);
  const hasMore = keys.length > offset + limit;
  return {
    status: 200,
    body: {
      api_keys: page.map(apiKeyJson),
      next_cursor: hasMore ? encodeCursor(offset + limit) : null,
      has_more: hasMore,
    },
  };
};

/** `POST /{org}/api-keys`: creates a key; the raw key is in this answer only. */
export const createApiKey: Handler = async ({ org, body, services }) => {
  const b = requireObject(body);
  if (b.name !== undefined && (typeof b.name !== "string" || b.name.length > 200)) {
    throw mesaErrors.badRequest("`name` must be a string of at most 200 characters", {
      field: "name",
    });
  }
  const scopes = (b.scopes === undefined ? ["read", "write"] : b.scopes) as unknown;
  if (
    !Array.isArray(scopes) ||
    scopes.length === 0 ||
    !scopes.every((s) => (SCOPES as readonly unknown[]).includes(s))
  ) {
    throw mesaErrors.badRequest("`scopes` must be a non-empty array of read, write, admin", {
      field: "scopes",
    });
  }
  let repoIds: string[] | null = null;
  if (b.repo_ids !== undefined) {
    if (!Array.isArray(b.repo_ids) || !b.repo_ids.every((r) => typeof r === "string")) {
      throw mesaErrors.badRequest("`repo_ids` must be an array of repo ids", { field: "repo_ids" });
    }
    for (const id of b.repo_ids) {
      if (services.store.repoById(id)?.orgId !== org.id)
        throw mesaErrors.badRequest(`\`repo_ids\`: no repo with id ${id}`, { field: "repo_ids" });
    }
    repoIds = b.repo_ids;
  }
  const ttl = b.expires_in_seconds;
  if (
    ttl !== undefined &&
    (typeof ttl !== "number" || !Number.isInteger(ttl) || ttl < 100 || ttl > 31_536_000)
  ) {
    throw mesaErrors.badRequest("`expires_in_seconds` must be an integer from 100 to 31536000", {
      field: "expires_in_seconds",
    });
  }
  const tags = b.tags === undefined ? {} : (validateTags(b.tags, false) as Record<string, string>);
  const now = services.clock.now();
  const raw = services.ids.apiKey();
  const record = {
    id: services.ids.id("key"),
    orgId: org.id,
    name: b.name ?? null,
    keyHash: hashApiKey(raw),
    scopes: [...new Set(scopes as Scope[])],
    repoIds,
    tags,
    expiresAt: ttl === undefined ? null : new Date(now + ttl * 1000).toISOString(),
    revokedAt: null,
    createdAt: new Date(now).toISOString(),
  };
  services.store.insertApiKey(record);
  return {
    status: 201,
    body: {
      id: record.id,
      key: raw,
      name: record.name,
      scopes: record.scopes,
      repo_ids: record.repoIds,
      tags: record.tags,
      created_at: record.createdAt,
    },
  };
};

/** `DELETE /{org}/api-keys/{id}`: revokes a key (its tokens stop verifying at once). */
export const revokeApiKey: Handler = async ({ org, params, services }) => {
  const key = services.store.apiKeyById(params.id);
  if (!key || key.orgId !== org.id) throw mesaErrors.notFound(`API key ${params.id}`);
  services.store.revokeApiKey(key.id, new Date(services.clock.now()).toISOString());
  return { status: 200, body: { success: true } };
};

/** `PATCH /{org}/api-keys/{id}`: merges a tag patch into the key's tags (`null` removes a tag). */
export const updateApiKey: Handler = async ({ org, params, body, services }) => {
  const b = requireObject(body);
  if (b.tags === undefined)
    throw mesaErrors.badRequest(
      "`tags` is required: an object of tag values (null removes a tag)",
      { field: "tags" },
    );
  const key = services.store.apiKeyById(params.id);
  if (!key || key.orgId !== org.id) throw mesaErrors.notFound(`API key ${params.id}`);
  const tags = { ...key.tags };
  for (const [k, v] of Object.entries(validateTags(b.tags, true))) {
    if (v === null) delete tags[k];
    else tags[k] = v;
  }
  services.store.updateApiKeyTags(key.id, tags);
  return { status: 200, body: { tags } };
};
