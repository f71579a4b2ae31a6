import { canAccessRepo } from "../auth";
import { mesaErrors } from "../errors";
import type { Handler, MesaServices } from "../operations";
import { repoJson } from "../serialize";
import { bookmarkInfo, repoInfo, repoSnapshot } from "../webhooks/events";
import { VIRTUAL_ROOT_CHANGE_ID } from "../ids";
import type { RepoRecord, UpstreamRecord } from "../store";
import {
  decodeCursor,
  encodeCursor,
  parseLimit,
  requireObject,
  validateBookmarkName,
  validateRepoName,
  validateTags,
} from "../validate";

/** Parses `upstream`; `null` (clear it) only where `allowNull` (PATCH). */
function parseUpstream(raw: unknown, allowNull: boolean): UpstreamRecord | null {
  if (raw === null && allowNull) return null;
  const u = requireObject(raw, "upstream");
  if (typeof u.url !== "string" || !/^https?:\/\/\S+$/.test(u.url)) {
    throw mesaErrors.badRequest("`upstream.url` must be an http(s) URL", { field: "upstream.url" });
  }
  const auth =
    u.auth === undefined || u.auth === null ? null : requireObject(u.auth, "upstream.auth");
  if (
    auth &&
    auth.kind === "token" &&
    (typeof auth.token !== "string" ||
      (auth.token_username !== undefined && typeof auth.token_username !== "string"))
  ) {
    throw mesaErrors.badRequest(
      "`upstream.auth` needs a string `token` (and an optional string `token_username`)",
      { field: "upstream.auth.token" },
    );
  }
  if (
    auth &&
    auth.kind === "username_password" &&
    (typeof auth.username !== "string" || typeof auth.password !== "string")
  ) {
    throw mesaErrors.badRequest("`upstream.auth` needs string `username` and `password`", {
      field: "upstream.auth",
    });
  }
  if (auth && auth.kind !== "token" && auth.kind !== "username_password") {
    throw mesaErrors.badRequest("`upstream.auth.kind` must be token or username_password", {
      field: "upstream.auth.kind",
    });
  }
  return { url: u.url, authKind: auth ? (auth.kind as UpstreamRecord["authKind"]) : null };
}

const render = (repo: RepoRecord, s: MesaServices, orgSlug: string) =>
  repoJson(repo, s.storage, s.store, orgSlug);

/** `GET /{org}/repos`: repos the caller can access, in creation order, optionally by tag `key:value`. */
export const listRepos: Handler = async ({ org, query, principal, services }) => {
  const limit = parseLimit(query.get("limit"));
  const after = decodeCursor(query.get("cursor")) ?? 0;
  const tag = query.get("tags");
  const [tagKey, tagValue] = tag ? [tag.split(":")[0], tag.split(":").slice(1).join(":")] : [];
  const visible = services.store
    .listRepos(org.id, after)
    .filter((r) => canAccessRepo(principal, r))
    .filter(
      (r) =>
        !tag || (tag.includes(":") ? r.tags[tagKey as string] === tagValue : tagKey! in r.tags),
    );
  const page = visible.slice(0, limit);
  const hasMore = visible.length > limit;
  return {
    status: 200,
    body: {
      repos: await Promise.all(page.map((r) => render(r, services, org.slug))),
      next_cursor: hasMore ? encodeCursor(page[page.length - 1].seq) : null,
      has_more: hasMore,
    },
  };
};

/** `POST /{org}/repos`: creates the repo and its git storage; the default bookmark starts at the virtual root. */
export const createRepo: Handler = async ({ org, body, principal, services }) => {
  if (principal.key.repoIds !== null || principal.tokenRepos !== null) {
    throw mesaErrors.forbidden(
      "this credential is limited to specific repos and cannot create repos; use an unrestricted key",
    );
  }
  const b = requireObject(body);
  const name =
    b.name === undefined
      ? `repo-${services.ids
          .id("r")
          .slice(2, 12)
          .toLowerCase()
          .replace(/[^a-z0-9]/g, "0")}`
      : validateRepoName(b.name);
  const defaultBookmark =
    b.default_bookmark === undefined
      ? "main"
      : validateBookmarkName(b.default_bookmark, "default_bookmark");
  const tags = b.tags === undefined ? {} : (validateTags(b.tags, false) as Record<string, string>);
  const upstream = b.upstream === undefined ? null : parseUpstream(b.upstream, false);
  return services.repoLocks.run(`org:${org.id}`, async () => {
    if (services.store.repoByName(org.id, name))
      throw mesaErrors.conflict(`Repo "${name}" already exists; pick another name`, {
        field: "name",
      });
    const draft = {
      id: services.ids.id("repo"),
      orgId: org.id,
      name,
      defaultBookmark,
      tags,
      upstream,
      createdAt: new Date(services.clock.now()).toISOString(),
    };
    const rootOid = await services.storage.create({ ...draft, seq: 0 });
    await services.storage.gitFor(draft).casRef(defaultBookmark, rootOid, "0".repeat(40));
    const repo = services.store.insertRepo(draft);
    services.webhooks.emit({
      type: "repo.created",
      org,
      repo,
      data: { repo: await repoInfo(repo, services.storage) },
    });
    services.webhooks.emit({
      type: "bookmark.created",
      org,
      repo,
      data: { bookmark: bookmarkInfo(repo, defaultBookmark, VIRTUAL_ROOT_CHANGE_ID, rootOid) },
    });
    return { status: 201, body: await render(repo, services, org.slug) };
  });
};

/** `GET /{org}/{repo}`. */
export const getRepo: Handler = async ({ org, repo, services }) => ({
  status: 200,
  body: await render(repo, services, org.slug),
});

/** `PATCH /{org}/{repo}`: rename, default bookmark, tag patch (null removes), upstream set/clear. */
export const updateRepo: Handler = async ({ org, repo, body, services }) => {
  const b = requireObject(body);
  const next: RepoRecord = { ...repo, tags: { ...repo.tags } };
  if (b.name !== undefined) next.name = validateRepoName(b.name);
  if (b.default_bookmark !== undefined) {
    next.defaultBookmark = validateBookmarkName(b.default_bookmark, "default_bookmark");
    if (!(await services.storage.gitFor(repo).readRef(next.defaultBookmark))) {
      throw mesaErrors.badRequest(
        `\`default_bookmark\`: bookmark "${next.defaultBookmark}" does not exist; create it first`,
        { field: "default_bookmark" },
      );
    }
  }
  if (b.tags !== undefined) {
    for (const [k, v] of Object.entries(validateTags(b.tags, true))) {
      if (v === null) delete next.tags[k];
      else next.tags[k] = v;
    }
  }
  if (b.upstream !== undefined) next.upstream = parseUpstream(b.upstream, true);
  return services.repoLocks.run(`org:${org.id}`, async () => {
    const clash = services.store.repoByName(org.id, next.name);
    if (clash && clash.id !== repo.id)
      throw mesaErrors.conflict(`Repo "${next.name}" already exists; pick another name`, {
        field: "name",
      });
    services.store.updateRepo(next);
    const [before, after] = [repoSnapshot(repo), repoSnapshot(next)];
    if (JSON.stringify(before) !== JSON.stringify(after)) {
      services.webhooks.emit({
        type: "repo.updated",
        org,
        repo: next,
        data: { repo: await repoInfo(next, services.storage), before, after },
      });
    }
    return { status: 200, body: await render(next, services, org.slug) };
  });
};

/** `DELETE /{org}/{repo}`: removes metadata first, then the git directory. */
export const deleteRepo: Handler = async ({ org, repo, services }) => {
  const info = await repoInfo(repo, services.storage);
  services.store.deleteRepo(repo.id);
  await services.storage.remove(repo);
  services.webhooks.emit({ type: "repo.deleted", org, repo, data: { repo: info } });
  return { status: 200, body: { success: true } };
};
