/**
 * MesaRepo lifecycle, run inside the dynamic provider process (see `lifecycle.ts`).
 * The public class and its documented args are in `resource.ts`.
 */
import type { ConfigSource } from "../config";
import { mesaClient, resolveMesaOrg, statusOf } from "../clients";
import {
  containsUnknown,
  defineProvider,
  type CheckFailure,
  type CommonInputs,
  type OperationContext,
  type ProviderEnvironment,
  type ProviderMethods,
  type ResourceDefinition,
} from "../lifecycle";
import { nameProblem, type NameRules } from "../naming";
import type { FailureKind } from "../retry";
import { classifyFailure } from "../retry";

/** Tag carrying the Pulumi URN of the resource that created (or adopted) a repo. */
export const URN_TAG = "pulumi-urn";

export type UpstreamAuth =
  | { kind: "token"; token: string; tokenUsername?: string }
  | { kind: "username_password"; username: string; password: string };

export interface MesaRepoInputs extends CommonInputs {
  name: string;
  org?: string;
  defaultBookmark?: string;
  tags: Record<string, string>;
  upstream?: { url: string; auth?: UpstreamAuth };
  timeoutSeconds?: number;
}

export interface MesaRepoOutputs extends MesaRepoInputs {
  org: string;
  defaultBookmark: string;
  headChangeId: string;
}

export const mesaRepoNameRules: NameRules = {
  what: "Mesa repo name",
  maxLength: 100,
  pattern: /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
  description: "use letters, digits, '.', '_' and '-', starting with a letter or digit",
  reserved: ["repo", "repos", "api-key", "api-keys"],
};

const bookmarkRules: NameRules = {
  what: "Default bookmark",
  maxLength: 255,
  pattern: /^[A-Za-z0-9][A-Za-z0-9._/-]*$/,
  description: "use letters, digits, '.', '_', '/' and '-', starting with a letter or digit",
};

interface LiveRepo {
  id: string;
  org: string;
  name: string;
  default_bookmark: string;
  head_change_id: string;
  tags?: Record<string, string> | null;
  upstream: { url: string; auth_kind: "token" | "username_password" | null } | null;
}

/** 409 means "someone (an earlier attempt) created it meanwhile": look again instead of failing. */
const conflictIsTransient = (err: unknown): FailureKind =>
  statusOf(err) === 409 ? { transient: true } : classifyFailure(err);

function validate(inputs: MesaRepoInputs): CheckFailure[] {
  const failures: CheckFailure[] = [];
  const bag = inputs as unknown as Record<string, unknown>;
  if (bag.tags === undefined) inputs.tags = {};
  if (inputs.org !== undefined && !containsUnknown(inputs.org)) {
    if (typeof inputs.org !== "string" || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(inputs.org)) {
      failures.push({ property: "org", reason: "org must be an org slug such as \"acme\" (letters, digits, '.', '_', '-'); leave it unset to use your API key's org." });
    }
  }
  if (inputs.defaultBookmark !== undefined && !containsUnknown(inputs.defaultBookmark)) {
    const problem = typeof inputs.defaultBookmark === "string" ? nameProblem(inputs.defaultBookmark, bookmarkRules) : "Default bookmark must be a string.";
    if (problem) failures.push({ property: "defaultBookmark", reason: problem });
  }
  if (!containsUnknown(inputs.tags)) {
    if (typeof inputs.tags !== "object" || inputs.tags === null || Array.isArray(inputs.tags)) {
      failures.push({ property: "tags", reason: 'tags must be a map of strings, e.g. { team: "agents" }.' });
    } else {
      for (const [key, value] of Object.entries(inputs.tags)) {
        if (key === URN_TAG) failures.push({ property: "tags", reason: `The tag "${URN_TAG}" is reserved: the provider sets it to the resource's URN. Remove it from tags.` });
        else if (typeof value !== "string" && !containsUnknown(value)) failures.push({ property: "tags", reason: `Tag "${key}" must be a string value.` });
      }
    }
  }
  if (inputs.upstream !== undefined && !containsUnknown(inputs.upstream)) failures.push(...validateUpstream(inputs.upstream));
  if (inputs.timeoutSeconds !== undefined && !containsUnknown(inputs.timeoutSeconds)) {
    if (!Number.isInteger(inputs.timeoutSeconds) || inputs.timeoutSeconds < 1) {
      failures.push({ property: "timeoutSeconds", reason: "timeoutSeconds must be a positive whole number of seconds, e.g. 300." });
    }
  }
  return failures;
}

function validateUpstream(upstream: MesaRepoInputs["upstream"]): CheckFailure[] {
  if (typeof upstream !== "object" || upstream === null) return [{ property: "upstream", reason: 'upstream must be { url: "https://…", auth?: … }.' }];
  const failures: CheckFailure[] = [];
  if (!containsUnknown(upstream.url)) {
    let ok = false;
    try {
      ok = ["http:", "https:"].includes(new URL(String(upstream.url)).protocol);
    } catch {
      ok = false;
    }
    if (!ok) failures.push({ property: "upstream", reason: 'upstream.url must be an http(s) git remote URL, e.g. "https://github.com/acme/app.git".' });
  }
  const auth = upstream.auth as Record<string, unknown> | undefined;
  if (auth !== undefined && !containsUnknown(auth)) {
    const okToken = auth?.kind === "token" && typeof auth.token === "string" && auth.token !== "";
    const okBasic = auth?.kind === "username_password" && typeof auth.username === "string" && typeof auth.password === "string";
    if (!okToken && !okBasic) {
      failures.push({ property: "upstream", reason: 'upstream.auth must be { kind: "token", token, tokenUsername? } or { kind: "username_password", username, password }.' });
    }
  }
  return failures;
}

function apiUpstream(upstream: MesaRepoInputs["upstream"]) {
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

function outputsOf(inputs: MesaRepoInputs, live: LiveRepo): MesaRepoOutputs {
  let upstream = inputs.upstream;
  if (!live.upstream) upstream = undefined;
  else if (!upstream || upstream.url !== live.upstream.url || (upstream.auth?.kind ?? null) !== live.upstream.auth_kind) {
    upstream = { url: live.upstream.url, auth: upstream?.auth?.kind === live.upstream.auth_kind ? upstream.auth : undefined };
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

/** The repo by name, or (renamed out of band) by id; undefined when it no longer exists. */
async function findRepo(ctx: OperationContext, org: string, name: string, id?: string): Promise<LiveRepo | undefined> {
  const settings = await ctx.mesa();
  return ctx.retry(`read Mesa repo ${org}/${name}`, async () => {
    const mesa = await mesaClient(settings, org);
    try {
      const repo = (await mesa.repos.get({ repo: name })) as LiveRepo;
      if (!id || repo.id === id) return repo;
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
    }
    if (!id) return undefined;
    for (let cursor: string | undefined; ; ) {
      const page = await mesa.repos.list({ limit: 100, cursor });
      const match = (page.repos as LiveRepo[]).find((r) => r.id === id);
      if (match) return match;
      if (!page.has_more || !page.next_cursor) return undefined;
      cursor = page.next_cursor;
    }
  });
}

/** Patch a live repo to match the inputs (only what differs). */
async function reconcile(ctx: OperationContext, live: LiveRepo, inputs: MesaRepoInputs, previousUpstream?: MesaRepoInputs["upstream"]): Promise<LiveRepo> {
  const patch: Record<string, unknown> = {};
  if (inputs.name !== live.name) patch.name = inputs.name;
  if (inputs.defaultBookmark !== undefined && inputs.defaultBookmark !== live.default_bookmark) patch.default_bookmark = inputs.defaultBookmark;
  const tagPatch: Record<string, string | null> = {};
  const current = live.tags ?? {};
  for (const key of Object.keys(current)) if (key !== URN_TAG && !(key in inputs.tags)) tagPatch[key] = null;
  for (const [key, value] of Object.entries({ ...inputs.tags, [URN_TAG]: ctx.urn })) if (current[key] !== value) tagPatch[key] = value;
  if (Object.keys(tagPatch).length > 0) patch.tags = tagPatch;
  const liveKind = live.upstream?.auth_kind ?? null;
  const wanted = inputs.upstream;
  if (!wanted && live.upstream) patch.upstream = null;
  else if (wanted && (wanted.url !== live.upstream?.url || (wanted.auth?.kind ?? null) !== liveKind || JSON.stringify(wanted.auth) !== JSON.stringify(previousUpstream?.auth))) {
    patch.upstream = { ...apiUpstream(wanted), auth: apiUpstream(wanted)!.auth ?? null };
  }
  if (Object.keys(patch).length === 0) return live;
  const settings = await ctx.mesa();
  return ctx.retry(`update Mesa repo ${live.org}/${live.name}`, async () => {
    const mesa = await mesaClient(settings, live.org);
    return (await mesa.repos.update({ repo: live.name, ...patch } as never)) as LiveRepo;
  });
}

export const mesaRepoDefinition: ResourceDefinition<MesaRepoInputs, MesaRepoOutputs> = {
  typeName: "MesaRepo",
  services: ["mesa"],
  nameRules: mesaRepoNameRules,
  fields: {
    name: { change: "update" },
    org: { change: "replace", serviceDefault: true },
    defaultBookmark: { change: "update", serviceDefault: true },
    tags: { change: "update" },
    upstream: { change: "update" },
    timeoutSeconds: { change: "none" },
  },
  timeoutSeconds: (inputs) => inputs.timeoutSeconds ?? 300,
  validate,

  async serviceDefaults(inputs, olds, settings) {
    if (inputs.org !== undefined) return;
    inputs.org = olds.org ?? (await resolveMesaOrg(await settings.mesa()));
  },

  async create(inputs, ctx) {
    const settings = await ctx.mesa();
    const org = inputs.org ?? (await ctx.retry("resolve the Mesa org of the API key", () => resolveMesaOrg(settings)));
    let adopted = false;
    const live = await ctx.retry(
      `create Mesa repo ${org}/${inputs.name}`,
      async () => {
        const existing = await findRepo(ctx, org, inputs.name);
        if (existing) {
          if (existing.tags?.[URN_TAG] !== ctx.urn) {
            throw new Error(
              `A Mesa repo named "${inputs.name}" already exists in org "${org}" and is not managed by this resource. ` +
                `Pick another name (or leave name unset to autoname), or take it over with adopt: { name: "${inputs.name}" }.`,
            );
          }
          adopted = true;
          return existing;
        }
        const mesa = await mesaClient(settings, org);
        return (await mesa.repos.create({
          name: inputs.name,
          default_bookmark: inputs.defaultBookmark,
          tags: { ...inputs.tags, [URN_TAG]: ctx.urn },
          upstream: apiUpstream(inputs.upstream),
        })) as LiveRepo;
      },
      conflictIsTransient,
    );
    if (adopted) ctx.log.info(`Adopted Mesa repo ${org}/${inputs.name}, created by an earlier interrupted run.`);
    const final = adopted ? await reconcile(ctx, live, inputs) : live;
    return { id: final.id, outs: outputsOf(inputs, final) };
  },

  async adopt(inputs, ctx) {
    const settings = await ctx.mesa();
    const org = inputs.org ?? (await ctx.retry("resolve the Mesa org of the API key", () => resolveMesaOrg(settings)));
    const name = inputs.adopt!.name;
    const live = await findRepo(ctx, org, name);
    if (!live) {
      throw new Error(`adopt: no Mesa repo named "${name}" in org "${org}". Check the name (and org), or remove adopt to create a new repo.`);
    }
    const owner = live.tags?.[URN_TAG];
    if (owner && owner !== ctx.urn) ctx.log.warn(`Mesa repo ${org}/${name} was managed by ${owner}; it is now managed by this resource.`);
    const final = await reconcile(ctx, live, inputs);
    ctx.log.info(`Adopted existing Mesa repo ${org}/${name}.`);
    return { id: final.id, outs: outputsOf(inputs, final) };
  },

  async read(id, state, ctx) {
    const live = await findRepo(ctx, state.org, state.name, id);
    return live ? outputsOf(state, live) : undefined;
  },

  async update(id, olds, news, ctx) {
    const live = await findRepo(ctx, olds.org, olds.name, id);
    if (!live) throw new Error(`Mesa repo ${olds.org}/${olds.name} (${id}) no longer exists. Run \`pulumi refresh\` to drop it from the stack, then \`pulumi up\` to create it again.`);
    const final = await reconcile(ctx, live, news, olds.upstream);
    return outputsOf(news, final);
  },

  async delete(id, state, ctx) {
    const live = await findRepo(ctx, state.org, state.name, id);
    if (!live) return;
    const settings = await ctx.mesa();
    await ctx.retry(`delete Mesa repo ${live.org}/${live.name}`, async () => {
      const mesa = await mesaClient(settings, live.org);
      try {
        await mesa.repos.delete({ repo: live.name });
      } catch (err) {
        if (statusOf(err) !== 404) throw err;
      }
    });
  },
};

/** Entry point of the trampoline (see `dynamic.ts`). */
export function createProvider(config: ConfigSource | undefined, environment?: ProviderEnvironment): ProviderMethods {
  return defineProvider(mesaRepoDefinition, config, environment);
}
