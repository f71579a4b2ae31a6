/**
 * MountedSandbox `import` (`pulumi import`, plugin only): the sandbox an import id names (its id)
 * as a create would have recorded it. Superserve reports its name, status, metadata, network
 * rules, timeouts and bound secrets (read with `Sandbox.list`, which never resumes a paused
 * sandbox). What is mounted in it is found inside the sandbox while it is active (see
 * `mount-inspection.ts`), and believed only for repos Mesa knows; then `repos` (each mounted as it
 * is, `fork: false`), `org`, `mountPaths`, `bookmarks`, `mounted` and `workspace` are filled in.
 *
 * Taken from the program on the first `up` (see `ImportedObject`): `template`, `envVars` and
 * `tokenTtlSeconds`, which the service does not report, this provider's own settings (`mesaCli`,
 * `deleteWorkspaceOnDestroy`, `mountTimeoutSeconds`), and `repos` when the mount could not be read
 * in full. The mount's token is the user's, not one this provider signed: `tokenExpiresAt` is
 * empty, and `up` leaves that mount alone while it serves; once a refresh finds it dead (its token
 * expired, say), the next `up` remounts it with a token of its own (see `remountReason`).
 */
import type { Sandbox, SandboxInfo } from "@superserve/sdk";
import type { ImportedObject, OperationContext } from "../lifecycle";
import { statusOf } from "../retry";
import { runStep } from "./exec";
import { mountPath } from "./mount-commands";
import { inspectCommand, parseInspection, type FoundRepo } from "./mount-inspection";
import { superserve } from "./sandboxes";
import { noMountState, refreshedState } from "./read";
import type { MountedSandboxOutputs, SandboxRepo } from "./state";
import { mesaFor } from "./workspace";
import { sandboxWorkspaces } from "./workspace-progress";

/** Inputs the import never knows: the service does not report them, or they are the provider's own. */
export const ALWAYS_UNREPORTED = [
  "template",
  "envVars",
  "tokenTtlSeconds",
  "mesaCli",
  "deleteWorkspaceOnDestroy",
  "mountTimeoutSeconds",
];

export async function importSandbox(
  id: string,
  ctx: OperationContext,
): Promise<ImportedObject<MountedSandboxOutputs> | undefined> {
  const ss = await superserve(ctx);
  const all: SandboxInfo[] = await ctx.retry("list sandboxes", () => ss.sdk.Sandbox.list(ss.conn));
  const live = all.find((s) => s.id === id);
  if (!live) return undefined;
  const seed = noMountState(live);
  const secrets = secretBindings(live);
  if (secrets) seed.secrets = secrets;
  const outs = refreshedState(seed, live, false);
  if (live.status !== "active") {
    ctx.log.info(
      `sandbox ${id} is ${live.status}: the import does not resume it, so what it mounts was not read; \`repos\` is taken from the program, and the first \`pulumi up\` resumes it and mounts the program's repos with a token of its own`,
    );
    return { id, outs, unreported: [...ALWAYS_UNREPORTED, "repos"] };
  }
  const sandbox = await ctx.retry(`connect to sandbox ${id}`, () =>
    ss.sdk.Sandbox.connect(id, ss.conn),
  );
  const found = await findMount(sandbox, ctx);
  if (!found) return { id, outs, unreported: [...ALWAYS_UNREPORTED, "repos"] };
  const { org, repos, complete } = found;
  const bookmarks = Object.fromEntries(
    repos.flatMap((r) => (r.bookmark ? [[r.repo, r.bookmark]] : [])),
  );
  const workspace = await sandboxWorkspaces(
    ctx,
    org,
    repos.flatMap((r) =>
      r.bookmark ? [{ repo: r.repo, bookmark: r.bookmark, baseBookmark: r.bookmark }] : [],
    ),
  );
  const mountPaths = Object.fromEntries(repos.map((r) => [r.repo, mountPath(org, r.repo)]));
  ctx.log.info(
    `sandbox ${id} mounts ${repos.map((r) => `${org}/${r.repo}@${r.bookmark ?? "?"}`).join(", ")}${found.serving ? "" : " (the mount does not serve: `pulumi up` remounts it with a token of its own)"}`,
  );
  return {
    id,
    outs: {
      ...outs,
      ...(complete && { repos: found.entries }),
      org,
      mountPaths,
      mountPath: mountPaths[repos[0].repo],
      bookmarks,
      workspace,
      mounted: found.serving,
    },
    unreported: complete ? ALWAYS_UNREPORTED : [...ALWAYS_UNREPORTED, "repos"],
  };
}

/** The sandbox's secret bindings as the `secrets` input (`{ ENV_VAR: secretName }`), if any. */
function secretBindings(live: SandboxInfo): Record<string, string> | undefined {
  const bound = live.secrets ?? [];
  return bound.length > 0
    ? Object.fromEntries(bound.map((b) => [b.envKey, b.secretName]))
    : undefined;
}

/** A repo found in the sandbox and known to Mesa, with its default bookmark. */
interface KnownRepo extends FoundRepo {
  defaultBookmark: string;
}

/**
 * The mount found in the sandbox, its repos checked against Mesa (a repo Mesa does not know, or
 * that the credentials cannot see, is left out with a warning); `complete` when every repo's
 * bookmark is known, so `entries` describe the mount as the program's `repos` would.
 */
async function findMount(
  sandbox: Sandbox,
  ctx: OperationContext,
): Promise<
  | { org: string; repos: KnownRepo[]; entries: SandboxRepo[]; serving: boolean; complete: boolean }
  | undefined
> {
  const stdout = await runStep(
    sandbox,
    inspectCommand(),
    { step: "find what the sandbox mounts", hints: { default: "" }, timeoutMs: 30_000 },
    ctx,
  );
  const inspection = parseInspection(stdout);
  if (!inspection.org || inspection.repos.length === 0) {
    ctx.log.info(
      `sandbox ${sandbox.id}: no Mesa mount found (under the mesa CLI's mount point); \`repos\` is taken from the program, and the first \`pulumi up\` mounts them with a token of its own`,
    );
    return undefined;
  }
  const org = inspection.org;
  const mesa = await mesaFor(ctx, org);
  const known = await Promise.all(
    inspection.repos.map(async (r): Promise<KnownRepo | undefined> => {
      try {
        const info = await ctx.retry(`read Mesa repo ${org}/${r.repo}`, () =>
          mesa.mesa.repos.get({ org, repo: r.repo }),
        );
        return { ...r, defaultBookmark: info.default_bookmark };
      } catch (err) {
        const status = statusOf(err);
        if (status !== 404 && status !== 403) throw err;
        ctx.log.warn(
          `sandbox ${sandbox.id} mounts ${org}/${r.repo}, which Mesa does not show to these credentials: left out`,
        );
        return undefined;
      }
    }),
  );
  const repos = known.filter((r): r is KnownRepo => r !== undefined);
  if (repos.length === 0) return undefined;
  const programOrg = await ctx.mesaOrg();
  const entries: SandboxRepo[] = repos.map((r) => ({
    repo: r.repo,
    ...(org !== programOrg && { org }),
    ...(r.bookmark !== r.defaultBookmark && { bookmark: r.bookmark }),
    fork: false,
    readOnly: r.readOnly ?? false,
  }));
  const complete = repos.every((r) => r.bookmark !== undefined && r.readOnly !== undefined);
  if (!complete)
    ctx.log.info(
      `sandbox ${sandbox.id}: the mesa CLI did not report every repo's bookmark (\`mesa stats\`); \`repos\` is taken from the program`,
    );
  return { org, repos, entries, serving: inspection.serving, complete };
}
