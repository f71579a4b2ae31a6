/**
 * The repo as Mesa has it: found by name (or by id after a rename out of band), patched to match
 * the inputs, and turned into outputs. Every call runs with the operation's retries.
 */
import { mesaClient } from "../clients";
import { URN_TAG, type OperationContext } from "../lifecycle";
import { statusOf } from "../retry";
import type { MesaRepoInputs, MesaRepoOutputs } from "./state";

/** A repo as `@mesadev/sdk` returns it (the fields this provider reads). */
export interface LiveRepo {
  id: string;
  org: string;
  name: string;
  default_bookmark: string;
  head_change_id: string;
  tags?: Record<string, string> | null;
  upstream: { url: string; auth_kind: "token" | "username_password" | null } | null;
}

export function apiUpstream(upstream: MesaRepoInputs["upstream"]) {
  if (!upstream) return undefined;
  const a = upstream.auth;
  const auth =
    a === undefined
      ? undefined
      : a.kind === "token"
        ? { kind: "token" as const, token: a.token, token_username: a.tokenUsername }
        : { kind: "username_password" as const, username: a.username, password: a.password };
  return { url: upstream.url, auth };
}

function userTags(tags: LiveRepo["tags"]): Record<string, string> {
  const copy = { ...(tags ?? {}) };
  delete copy[URN_TAG];
  return copy;
}

export function outputsOf(inputs: MesaRepoInputs, live: LiveRepo): MesaRepoOutputs {
  let upstream = inputs.upstream;
  if (!live.upstream) upstream = undefined;
  else if (
    !upstream ||
    upstream.url !== live.upstream.url ||
    (upstream.auth?.kind ?? null) !== live.upstream.auth_kind
  ) {
    upstream = {
      url: live.upstream.url,
      auth: upstream?.auth?.kind === live.upstream.auth_kind ? upstream.auth : undefined,
    };
  }
  const outs: MesaRepoOutputs = {
    ...inputs,
    org: live.org,
    name: live.name,
    defaultBookmark: live.default_bookmark,
    headChangeId: live.head_change_id,
    tags: userTags(live.tags),
  };
  if (upstream) outs.upstream = upstream;
  else delete outs.upstream;
  return outs;
}

/**
 * The repo by name, or (renamed out of band, or no name known) by id; undefined when it no longer
 * exists.
 */
export async function findRepo(
  ctx: OperationContext,
  org: string,
  name: string | undefined,
  id?: string,
): Promise<LiveRepo | undefined> {
  const settings = await ctx.mesa();
  return ctx.retry(`read Mesa repo ${org}/${name ?? id}`, async () => {
    const mesa = await mesaClient(settings, org);
    if (name !== undefined) {
      try {
        const repo = (await mesa.repos.get({ repo: name })) as LiveRepo;
        if (!id || repo.id === id) return repo;
      } catch (err) {
        if (statusOf(err) !== 404) throw err;
      }
    }
    if (!id) return undefined;
    for (let cursor: string | undefined; ;) {
      const page = await mesa.repos.list({ limit: 100, cursor });
      const match = (page.repos as LiveRepo[]).find((r) => r.id === id);
      if (match) return match;
      if (!page.has_more || !page.next_cursor) return undefined;
      cursor = page.next_cursor;
    }
  });
}

/** Patch a live repo to match the inputs (only what differs). */
export async function reconcile(
  ctx: OperationContext,
  live: LiveRepo,
  inputs: MesaRepoInputs,
  previousUpstream?: MesaRepoInputs["upstream"],
): Promise<LiveRepo> {
  const patch: Record<string, unknown> = {};
  if (inputs.name !== live.name) patch.name = inputs.name;
  if (inputs.defaultBookmark !== undefined && inputs.defaultBookmark !== live.default_bookmark)
    patch.default_bookmark = inputs.defaultBookmark;
  const tagPatch: Record<string, string | null> = {};
  const current = live.tags ?? {};
  for (const key of Object.keys(current))
    if (key !== URN_TAG && !(key in inputs.tags)) tagPatch[key] = null;
  for (const [key, value] of Object.entries({ ...inputs.tags, [URN_TAG]: ctx.urn }))
    if (current[key] !== value) tagPatch[key] = value;
  if (Object.keys(tagPatch).length > 0) patch.tags = tagPatch;
  const liveKind = live.upstream?.auth_kind ?? null;
  const wanted = inputs.upstream;
  if (!wanted && live.upstream) patch.upstream = null;
  else if (
    wanted &&
    (wanted.url !== live.upstream?.url ||
      (wanted.auth?.kind ?? null) !== liveKind ||
      JSON.stringify(wanted.auth) !== JSON.stringify(previousUpstream?.auth))
  ) {
    patch.upstream = { ...apiUpstream(wanted), auth: apiUpstream(wanted)!.auth ?? null };
  }
  if (Object.keys(patch).length === 0) return live;
  const settings = await ctx.mesa();
  return ctx.retry(`update Mesa repo ${live.org}/${live.name}`, async () => {
    const mesa = await mesaClient(settings, live.org);
    return await mesa.repos.update({ repo: live.name, ...patch });
  });
}
