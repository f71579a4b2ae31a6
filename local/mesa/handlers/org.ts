import type { Handler } from "../operations";

/** `GET /whoami`: the caller's org, key and effective scopes. */
export const whoami: Handler = async ({ principal }) => ({
  status: 200,
  body: {
    org: { id: principal.org.id, slug: principal.org.slug, name: principal.org.name },
    key_id: principal.key.id,
    key_name: principal.key.name,
    scopes: principal.scopes,
  },
});

/** `GET /{org}`: creation time and repo count. */
export const getOrg: Handler = async ({ org, services }) => ({
  status: 200,
  body: { created_at: org.createdAt, num_repos: services.store.countRepos(org.id) },
});
