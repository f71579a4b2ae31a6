/**
 * MountedSandbox lifecycle, run inside the dynamic provider process (see `lifecycle.ts`).
 * The public class and its documented args are in `resource.ts`.
 *
 * Reads never wake a paused sandbox: state comes from `Sandbox.list` (no side effects), and the
 * data plane (which resumes a paused sandbox transparently) is used only on active sandboxes —
 * except by create, update and delete, which must reach the mount (delete resumes a paused
 * sandbox so the mount can flush its edits before the kill).
 */
import type { Mesa } from "@mesadev/sdk" with { "resolution-mode": "import" };
import type { Sandbox, SandboxInfo } from "@superserve/sdk";
import { mesaClient, resolveMesaOrg, superserveConnection, superserveSdk } from "../clients";
import type { ConfigSource, SuperserveSettings } from "../config";
import { routeDataPlane } from "../data-plane";
import { defineProvider, PartialCreateError, type OperationContext, type ProviderEnvironment, type ProviderMethods, type ResourceDefinition } from "../lifecycle";
import {
  EXIT_INSTALL_FAILED,
  EXIT_MOUNT_FAILED,
  EXIT_NO_CLI,
  EXIT_START_FAILED,
  EXIT_TIMEOUT,
  healthCommand,
  installCommand,
  mountAndWaitCommand,
  mountCommand,
  mountEnv,
  parseHealth,
  unmountCommand,
  waitCommand,
} from "./mount-commands";
import type { NameRules } from "../naming";
import {
  OPERATION_TIMEOUT_SECONDS,
  SANDBOX_FIELDS,
  SPEC_METADATA_KEY,
  URN_METADATA_KEY,
  specDigest,
  stateDiff,
  validateSandboxInputs,
  type MountedSandboxInputs,
  type SandboxRepo,
  type MountedSandboxOutputs,
} from "./check";
import { runStep } from "./exec";
import { findSandbox, normalizeNetwork, refreshedState, type ListedSandbox } from "./read";
import { deleteForks, forkBookmarkName, prepareRepos, signToken, type PreparedRepo } from "./workspace";
import { tokenNeedsRenewal } from "./token";

export const sandboxNameRules: NameRules = {
  what: "Sandbox name",
  maxLength: 63,
  pattern: /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
  description: "use letters, digits, '.', '_' and '-', starting with a letter or digit",
};

/** Grace for the mount daemon to flush and exit after SIGTERM. */
const UNMOUNT_GRACE_SECONDS = 20;

/** Superserve access for one operation. */
interface Superserve {
  settings: SuperserveSettings;
  sdk: typeof import("@superserve/sdk");
  conn: { apiKey: string; baseUrl?: string };
}

async function superserve(ctx: OperationContext): Promise<Superserve> {
  const settings = await ctx.superserve();
  routeDataPlane(settings);
  return { settings, sdk: superserveSdk(), conn: superserveConnection(settings) };
}

/** Mesa access for one operation, in the repos' org. */
async function mesaFor(ctx: OperationContext, org: string | undefined): Promise<{ mesa: Mesa; org: string; apiUrl?: string }> {
  const settings = await ctx.mesa();
  const resolved = org ?? (await ctx.retry("resolve the Mesa org of the API key", () => resolveMesaOrg(settings)));
  return { mesa: await mesaClient(settings, resolved), org: resolved, apiUrl: settings.apiUrl };
}

/** Sandboxes tagged with this URN (how an interrupted create or a replacement is recognised). */
async function listTagged(ss: Superserve, ctx: OperationContext): Promise<ListedSandbox[]> {
  return ctx.retry("list sandboxes", () => ss.sdk.Sandbox.list({ ...ss.conn, metadata: { [URN_METADATA_KEY]: ctx.urn } }));
}

/** The sandbox with this id (refresh, update, delete), or undefined when it is gone. */
async function findById(ss: Superserve, ctx: OperationContext, id: string): Promise<ListedSandbox | undefined> {
  const tagged = findSandbox(await listTagged(ss, ctx), id, ctx.urn);
  if (tagged) return tagged;
  const all: SandboxInfo[] = await ctx.retry("list sandboxes", () => ss.sdk.Sandbox.list(ss.conn));
  return findSandbox(all, id, ctx.urn);
}

function sandboxMetadata(inputs: MountedSandboxInputs, urn: string): Record<string, string> {
  return { ...(inputs.metadata ?? {}), [URN_METADATA_KEY]: urn, [SPEC_METADATA_KEY]: specDigest(inputs) };
}

function apiNetwork(network: MountedSandboxInputs["network"]): { allowOut?: string[]; denyOut?: string[] } | undefined {
  return normalizeNetwork(network);
}

/** Remaining time before the operation's deadline, in ms (at least one second). */
function remainingMs(ctx: OperationContext): number {
  return Math.max(1000, ctx.deadline - ctx.clock.now());
}

/** What the mount needs from Mesa: the org, the repos on their bookmarks, and a signed token. */
interface MesaPrep {
  org: string;
  apiUrl?: string;
  repos: PreparedRepo[];
  token: string;
  expiresAt: string;
}

/** Resolve the org, prepare the repos (forking their bookmarks) and sign the mount's token, concurrently. */
async function prepareMesa(ctx: OperationContext, org: string | undefined, repos: readonly SandboxRepo[], tokenTtlSeconds: number): Promise<MesaPrep> {
  const mesa = await mesaFor(ctx, org);
  const [prepared, signed] = await Promise.all([
    prepareRepos(mesa.mesa, mesa.org, repos, ctx.urn, (op, fn) => ctx.retry(op, fn)),
    signToken(mesa.mesa, repos.map((r) => ({ org: mesa.org, repo: r.repo, readOnly: r.readOnly })), tokenTtlSeconds),
  ]);
  return { org: mesa.org, apiUrl: mesa.apiUrl, repos: prepared, ...signed };
}

/** What to do next for each exit code of the mount's commands. */
function mountHints(inputs: MountedSandboxInputs): Record<number | "default", string> {
  return {
    [EXIT_NO_CLI]: "The mesa CLI is missing: install mesa in the template, or set mesaCli to 'auto'.",
    [EXIT_INSTALL_FAILED]:
      "The official installer (https://mesa.dev/install.sh) failed; check the sandbox's network rules allow mesa.dev, or install mesa in the template and set mesaCli to 'never'.",
    [EXIT_START_FAILED]: "`mesa mount -d` did not start the daemon; its log is above. Check the mesa CLI in the template works.",
    [EXIT_TIMEOUT]: `Raise mountTimeoutSeconds (now ${inputs.mountTimeoutSeconds}), or check the daemon log above.`,
    [EXIT_MOUNT_FAILED]: "The mesa daemon stopped; its log is above. Check the repos exist and the Mesa API is reachable from the sandbox.",
    default: "Check the daemon log above.",
  };
}

/**
 * Install the CLI (per policy), stop any earlier daemon and mount with the prepared token; wait
 * until the repos are served. A sandbox this operation just created (`fresh`) runs no daemon yet:
 * it gets all of that as one command.
 */
async function mount(sandbox: Sandbox, prep: MesaPrep, inputs: MountedSandboxInputs, fresh: boolean, ctx: OperationContext): Promise<void> {
  const mountDeadline = Math.min(ctx.deadline, ctx.clock.now() + inputs.mountTimeoutSeconds * 1000);
  const left = () => Math.max(1000, mountDeadline - ctx.clock.now());
  const waitSeconds = () => Math.max(1, Math.floor(left() / 1000) - 1);
  const hints = mountHints(inputs);
  const env = mountEnv({ org: prep.org, token: prep.token, repos: prep.repos, apiUrl: prep.apiUrl });
  const secrets = [prep.token];
  const what = prep.repos.map((r) => `${r.org}/${r.repo}@${r.bookmark}`).join(", ");
  const probes = prep.repos.map((r) => r.probe);
  if (fresh) {
    ctx.log.status(`mounting ${what} (mesa CLI policy ${inputs.mesaCli})`);
    await runStep(sandbox, mountAndWaitCommand(inputs.mesaCli, probes, waitSeconds()), { step: "install the mesa CLI and mount the repos", hints, env, timeoutMs: left() + 5000, secrets });
    return;
  }
  ctx.log.status(`checking the mesa CLI (policy ${inputs.mesaCli})`);
  await runStep(sandbox, installCommand(inputs.mesaCli), { step: "install the mesa CLI", hints, timeoutMs: left() });
  await stopMount(sandbox, left());
  ctx.log.status(`mounting ${what}`);
  await runStep(sandbox, mountCommand(), { step: "start `mesa mount -d`", hints, env, timeoutMs: left(), secrets });
  await runStep(sandbox, waitCommand(probes, waitSeconds()), { step: "wait for the mount", hints, timeoutMs: left() + 5000, secrets });
}

/** SIGTERM the mount daemon (it flushes) and wait for it to exit; no-op when none runs. */
async function stopMount(sandbox: Sandbox, timeoutMs: number): Promise<void> {
  await runStep(sandbox, unmountCommand(UNMOUNT_GRACE_SECONDS), {
    step: "stop the mesa daemon",
    hints: { default: "The daemon did not exit after SIGTERM; it may still be flushing edits to Mesa." },
    timeoutMs: Math.max(timeoutMs, (UNMOUNT_GRACE_SECONDS + 10) * 1000),
  });
}

function outputsOf(inputs: MountedSandboxInputs, sandbox: { id: string; status: string }, org: string, repos: PreparedRepo[], mounted: boolean, tokenExpiresAt: string): MountedSandboxOutputs {
  return { ...inputs, sandboxId: sandbox.id, status: sandbox.status, mounted, tokenExpiresAt, ...mountOutputs(org, repos) };
}

/** The outputs that describe the mount's repos. */
function mountOutputs(org: string, repos: PreparedRepo[]): Pick<MountedSandboxOutputs, "org" | "mountPaths" | "bookmarks"> {
  return {
    org,
    mountPaths: Object.fromEntries(repos.map((r) => [r.repo, r.probe.path])),
    bookmarks: Object.fromEntries(repos.map((r) => [r.repo, r.bookmark])),
  };
}

/** A sandbox `create` or `adopt` got; `fresh` when this operation created it (no daemon can run in it). */
interface ObtainedSandbox {
  sandbox: Sandbox;
  fresh: boolean;
}

/**
 * Obtain the sandbox while preparing Mesa (repos, forks, token), then mount. Once the sandbox
 * exists, any failure — of the Mesa preparation too — is a partial create carrying its id, so the
 * engine records it and the next `pulumi up` finishes the mount instead of leaking the sandbox.
 */
async function finishCreate(obtain: () => Promise<ObtainedSandbox>, inputs: MountedSandboxInputs, ctx: OperationContext): Promise<{ id: string; outs: MountedSandboxOutputs }> {
  const [obtained, prepared] = await Promise.allSettled([obtain(), prepareMesa(ctx, inputs.repos[0].org, inputs.repos, inputs.tokenTtlSeconds)]);
  if (obtained.status === "rejected") throw obtained.reason;
  const { sandbox, fresh } = obtained.value;
  try {
    if (prepared.status === "rejected") throw prepared.reason;
    const prep = prepared.value;
    await mount(sandbox, prep, inputs, fresh, ctx);
    ctx.log.info(`sandbox ${sandbox.id} mounted ${prep.repos.map((r) => `${r.repo}@${r.bookmark}`).join(", ")}`);
    return { id: sandbox.id, outs: outputsOf(inputs, { id: sandbox.id, status: "active" }, prep.org, prep.repos, true, prep.expiresAt) };
  } catch (err) {
    const prep = prepared.status === "fulfilled" ? prepared.value : undefined;
    const outs = outputsOf(inputs, { id: sandbox.id, status: "active" }, prep?.org ?? inputs.repos[0].org ?? "", prep?.repos ?? [], false, "");
    throw new PartialCreateError(sandbox.id, outs as unknown as Record<string, unknown>, `sandbox ${sandbox.id} was created but not mounted: ${err instanceof Error ? err.message : String(err)}. Run \`pulumi up\` again to retry the mount.`);
  }
}

export const mountedSandboxDefinition: ResourceDefinition<MountedSandboxInputs, MountedSandboxOutputs> = {
  typeName: "MountedSandbox",
  services: ["mesa", "superserve"],
  nameRules: sandboxNameRules,
  fields: SANDBOX_FIELDS,
  timeoutSeconds: (inputs) => Math.max(OPERATION_TIMEOUT_SECONDS, (inputs.mountTimeoutSeconds ?? 0) + 120),
  validate: (inputs) => validateSandboxInputs(inputs as unknown as Record<string, unknown>),

  async create(inputs, ctx) {
    return finishCreate(
      async () => {
        const ss = await superserve(ctx);
        let adopted = false;
        const sandbox = await ctx.retry(`create sandbox ${inputs.name}`, async () => {
          const spec = specDigest(inputs);
          const earlier = (await listTagged(ss, ctx)).find(
            (s) => s.metadata[SPEC_METADATA_KEY] === spec && (s.status === "active" || s.status === "paused" || s.status === "resuming"),
          );
          if (earlier) {
            adopted = true;
            return ss.sdk.Sandbox.connect(earlier.id, ss.conn);
          }
          adopted = false;
          return ss.sdk.Sandbox.create({
            ...ss.conn,
            name: inputs.name,
            fromTemplate: inputs.template,
            metadata: sandboxMetadata(inputs, ctx.urn),
            envVars: inputs.envVars,
            secrets: inputs.secrets,
            network: apiNetwork(inputs.network),
            timeoutSeconds: inputs.timeoutSeconds,
            autoDeleteSeconds: inputs.autoDeleteSeconds,
          });
        });
        ctx.log.info(adopted ? `adopted sandbox ${sandbox.id} from an earlier interrupted run` : `created sandbox ${sandbox.id}`);
        return { sandbox, fresh: !adopted };
      },
      inputs,
      ctx,
    );
  },

  async adopt(inputs, ctx) {
    return finishCreate(
      async () => {
        const ss = await superserve(ctx);
        const wanted = inputs.adopt!.name;
        const all: SandboxInfo[] = await ctx.retry("list sandboxes", () => ss.sdk.Sandbox.list(ss.conn));
        const live = all.find((s) => s.id === wanted) ?? all.find((s) => s.name === wanted && s.status !== "failed");
        if (!live) throw new Error(`adopt: no sandbox with id or name "${wanted}". Check it with Sandbox.list, or remove adopt to create a new sandbox.`);
        await ctx.retry(`tag sandbox ${live.id}`, () =>
          ss.sdk.Sandbox.updateById(live.id, { metadata: { ...live.metadata, ...sandboxMetadata(inputs, ctx.urn) } }, ss.conn),
        );
        const sandbox = await ctx.retry(`connect to sandbox ${live.id}`, () => ss.sdk.Sandbox.connect(live.id, ss.conn));
        ctx.log.info(`adopted existing sandbox ${live.id}`);
        return { sandbox, fresh: false };
      },
      inputs,
      ctx,
    );
  },

  async read(id, state, ctx) {
    const ss = await superserve(ctx);
    const live = await findById(ss, ctx, id);
    if (!live) return undefined;
    let mounted: boolean | undefined;
    if (live.status === "active") {
      const sandbox = await ctx.retry(`connect to sandbox ${id}`, () => ss.sdk.Sandbox.connect(id, ss.conn));
      const health = parseHealth(await runStep(sandbox, healthCommand(Object.values(state.mountPaths ?? {})), { step: "check the mount", hints: { default: "" }, timeoutMs: 30_000 }));
      mounted = health.mounted;
      if (!health.mounted) ctx.log.warn(`sandbox ${id}: ${health.reason}; \`pulumi up\` remounts it`);
    }
    return refreshedState(state, live, mounted);
  },

  async update(id, olds, news, ctx) {
    const ss = await superserve(ctx);
    const live = await findById(ss, ctx, id);
    if (!live) throw new Error(`sandbox ${id} no longer exists. Run \`pulumi refresh\` to drop it from the stack, then \`pulumi up\` to create a new one.`);
    const patch: Parameters<typeof ss.sdk.Sandbox.updateById>[1] = {};
    const metadata = sandboxMetadata(news, ctx.urn);
    if (JSON.stringify(metadata) !== JSON.stringify(live.metadata)) patch.metadata = metadata;
    const network = apiNetwork(news.network);
    if (JSON.stringify(network ?? {}) !== JSON.stringify(normalizeNetwork(live.network) ?? {})) patch.network = network ?? { allowOut: [], denyOut: [] };
    if (news.timeoutSeconds !== undefined && news.timeoutSeconds !== live.timeoutSeconds) patch.timeoutSeconds = news.timeoutSeconds;
    if (news.autoDeleteSeconds !== undefined && news.autoDeleteSeconds !== live.autoDeleteSeconds) patch.autoDeleteSeconds = news.autoDeleteSeconds;
    if (Object.keys(patch).length > 0) {
      await ctx.retry(`update sandbox ${id}`, () => ss.sdk.Sandbox.updateById(id, patch, ss.conn));
    }
    const base: MountedSandboxOutputs = { ...olds, ...news, sandboxId: id, status: live.status };
    const remount =
      olds.mounted === false || news.tokenTtlSeconds !== olds.tokenTtlSeconds || tokenNeedsRenewal(olds.tokenExpiresAt, olds.tokenTtlSeconds, ctx.clock.now());
    if (!remount) return base;
    if (live.status !== "active") {
      ctx.log.warn(`sandbox ${id} is ${live.status}; its token is renewed and its mount restarted by the first \`pulumi up\` after it resumes`);
      return base;
    }
    const sandbox = await ctx.retry(`connect to sandbox ${id}`, () => ss.sdk.Sandbox.connect(id, ss.conn));
    const prep = await prepareMesa(ctx, olds.org || undefined, news.repos, news.tokenTtlSeconds);
    await mount(sandbox, prep, news, false, ctx);
    ctx.log.info(`sandbox ${id}: token renewed (expires ${prep.expiresAt}) and repos remounted`);
    return { ...base, ...mountOutputs(prep.org, prep.repos), mounted: true, tokenExpiresAt: prep.expiresAt };
  },

  async delete(id, state, ctx) {
    const ss = await superserve(ctx);
    const live = await findById(ss, ctx, id);
    if (live && live.status !== "failed") {
      try {
        const sandbox = await ctx.retry(`connect to sandbox ${id}`, () => ss.sdk.Sandbox.connect(id, ss.conn));
        ctx.log.status(`flushing the mount of sandbox ${id}`);
        await stopMount(sandbox, remainingMs(ctx));
      } catch (err) {
        ctx.log.warn(`sandbox ${id}: could not stop the mount cleanly (${err instanceof Error ? err.message : String(err)}); killing the sandbox, which SIGTERMs the daemon`);
      }
    }
    if (live) await ctx.retry(`kill sandbox ${id}`, () => ss.sdk.Sandbox.killById(id, ss.conn));
    if (state.deleteWorkspaceOnDestroy) await deleteWorkspace(ss, state, id, ctx);
  },
};

/** Delete the forked bookmarks, unless a replacement of this resource (same URN) still uses them. */
async function deleteWorkspace(ss: Superserve, state: MountedSandboxOutputs, id: string, ctx: OperationContext): Promise<void> {
  const others = (await listTagged(ss, ctx)).filter((s) => s.id !== id);
  if (others.length > 0) {
    ctx.log.info(`keeping the forked bookmarks: sandbox ${others[0].id} (the replacement) works on them`);
    return;
  }
  const forks = (state.repos ?? [])
    .filter((r) => forkBookmarkName(r, ctx.urn) !== undefined)
    .map((r) => ({ repo: r.repo, bookmark: state.bookmarks?.[r.repo] ?? forkBookmarkName(r, ctx.urn)! }));
  if (forks.length === 0) return;
  const mesa = await mesaFor(ctx, state.org);
  await deleteForks(mesa.mesa, mesa.org, forks, (op, fn) => ctx.retry(op, fn));
  ctx.log.info(`deleted the forked bookmarks ${forks.map((f) => `${f.repo}@${f.bookmark}`).join(", ")}`);
}

/** Entry point of the trampoline (see `dynamic.ts`): the shared lifecycle plus the state-aware diff. */
export function createProvider(config: ConfigSource | undefined, environment?: ProviderEnvironment): ProviderMethods {
  const methods = defineProvider(mountedSandboxDefinition, config, environment);
  const now = () => (environment?.clock ?? { now: Date.now }).now();
  return {
    ...methods,
    async diff(id, olds, news) {
      const table = await methods.diff(id, olds, news);
      const extra = stateDiff(olds as Partial<MountedSandboxOutputs>, now());
      return {
        ...table,
        changes: Boolean(table.changes) || extra.changes,
        replaces: [...new Set([...(table.replaces ?? []), ...extra.replaces])],
      };
    },
  };
}
