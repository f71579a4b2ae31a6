import { hashApiKey } from "../auth";
import { mesaErrors } from "../errors";
import type { Handler } from "../operations";
import { apiKeyJson } from "../serialize";
import type { Scope } from "../store";
import { requireObject, validateTags } from "../validate";

const SCOPES: Scope[] = ["read", "write", "admin"];

/** `GET /{org}/api-keys`: every key of the org (never the key material). */
export const listApiKeys: Handler = async ({ org, services }) => ({
  status: 200,
  body: { api_keys: services.store.listApiKeys(org.id).map(apiKeyJson), next_cursor: null, has_more: false },
});

/** `POST /{org}/api-keys`: creates a key; the raw key is in this answer only. */
export const createApiKey: Handler = async ({ org, body, services }) => {
  const b = requireObject(body ?? {});
  if (b.name !== undefined && (typeof b.name !== "string" || b.name.length > 200)) {
    throw mesaErrors.badRequest("`name` must be a string of at most 200 characters", { field: "name" });
  }
  const scopes = (b.scopes ?? ["read", "write"]) as unknown;
  if (!Array.isArray(scopes) || scopes.length === 0 || !scopes.every((s) => SCOPES.includes(s as Scope))) {
    throw mesaErrors.badRequest("`scopes` must be a non-empty array of read, write, admin", { field: "scopes" });
  }
  let repoIds: string[] | null = null;
  if (b.repo_ids !== undefined && b.repo_ids !== null) {
    if (!Array.isArray(b.repo_ids) || !b.repo_ids.every((r) => typeof r === "string")) {
      throw mesaErrors.badRequest("`repo_ids` must be an array of repo ids", { field: "repo_ids" });
    }
    for (const id of b.repo_ids) {
      if (services.store.repoById(id)?.orgId !== org.id) throw mesaErrors.badRequest(`\`repo_ids\`: no repo with id ${id}`, { field: "repo_ids" });
    }
    repoIds = b.repo_ids;
  }
  const ttl = b.expires_in_seconds;
  if (ttl !== undefined && (typeof ttl !== "number" || !Number.isInteger(ttl) || ttl < 100 || ttl > 31_536_000)) {
    throw mesaErrors.badRequest("`expires_in_seconds` must be an integer from 100 to 31536000", { field: "expires_in_seconds" });
  }
  const tags = b.tags === undefined ? {} : (validateTags(b.tags, false) as Record<string, string>);
  const now = services.clock.now();
  const raw = services.ids.apiKey();
  const record = {
    id: services.ids.id("key"),
    orgId: org.id,
    name: (b.name) ?? null,
    keyHash: hashApiKey(raw),
    scopes: [...new Set(scopes as Scope[])],
    repoIds,
    tags,
    expiresAt: ttl === undefined ? null : new Date(now + (ttl) * 1000).toISOString(),
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
