/**
 * (Re)mounting the repos in a sandbox: prepare Mesa (the repos on their bookmarks and a freshly
 * signed token, concurrently), install the `mesa` CLI per policy, start `mesa mount -d` with the
 * token in that command's environment only, and wait until the repos are served; and stopping the
 * mount (SIGTERM, so it flushes its edits).
 */
import type { Sandbox } from "@superserve/sdk";
import { randomUUID } from "node:crypto";
import type { OperationContext } from "../lifecycle";
import { describeError } from "../retry";
import { runStep } from "./exec";
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
import type { MountedSandboxInputs, MountedSandboxOutputs, SandboxRepo } from "./state";
import { signToken } from "./token";
import { mesaFor, prepareRepos, type PreparedRepo } from "./workspace";

/** Grace for the mount daemon to flush and exit after SIGTERM. */
const UNMOUNT_GRACE_SECONDS = 20;

/** What the mount needs from Mesa: the org, the repos on their bookmarks, and a signed token. */
interface MesaPrep {
  org: string;
  apiUrl?: string;
  /** The Superserve base URL in use (decides whether the sandbox needs `MESA_API_URL`). */
  superserveUrl?: string;
  repos: PreparedRepo[];
  token: string;
  expiresAt: string;
}

/** Resolve the org, prepare the repos (forking their bookmarks) and sign the mount's token, concurrently. */
export async function prepareMesa(
  ctx: OperationContext,
  org: string | undefined,
  repos: readonly SandboxRepo[],
  tokenTtlSeconds: number,
): Promise<MesaPrep> {
  const [mesa, superserve] = await Promise.all([mesaFor(ctx, org), ctx.superserve()]);
  const [prepared, signed] = await Promise.all([
    prepareRepos(mesa.mesa, mesa.org, repos, ctx.urn, (op, fn) => ctx.retry(op, fn)),
    // Signing is local, but the SDK first asks `GET /whoami` for the API key's id.
    ctx.retry("sign the mount's Mesa access token", () =>
      signToken(
        mesa.mesa,
        repos.map((r) => ({ org: mesa.org, repo: r.repo, readOnly: r.readOnly })),
        tokenTtlSeconds,
      ),
    ),
  ]);
  return {
    org: mesa.org,
    apiUrl: mesa.apiUrl,
    superserveUrl: superserve.baseUrl,
    repos: prepared,
    ...signed,
  };
}

/** What to do next for each exit code of the mount's commands. */
function mountHints(inputs: MountedSandboxInputs): Record<number | "default", string> {
  return {
    [EXIT_NO_CLI]:
      "The mesa CLI is missing: install mesa in the template, or set mesaCli to 'auto'.",
    [EXIT_INSTALL_FAILED]:
      "The official installer (https://mesa.dev/install.sh) failed; check the sandbox's network rules allow mesa.dev, or install mesa in the template and set mesaCli to 'never'.",
    [EXIT_START_FAILED]:
      "`mesa mount -d` did not start the daemon; its log is above. Check the mesa CLI in the template works.",
    [EXIT_TIMEOUT]: `Raise mountTimeoutSeconds (now ${inputs.mountTimeoutSeconds}), or check the daemon log above.`,
    [EXIT_MOUNT_FAILED]:
      "The mesa daemon stopped; its log is above. Check the repos exist and the Mesa API is reachable from the sandbox.",
    default: "Check the daemon log above.",
  };
}

/**
 * Install the CLI (per policy), stop any earlier daemon and mount with the prepared token; wait
 * until the repos are served. A sandbox this operation just created (`fresh`) runs no daemon yet:
 * it gets all of that as one command.
 */
export async function mount(
  sandbox: Sandbox,
  prep: MesaPrep,
  inputs: MountedSandboxInputs,
  fresh: boolean,
  ctx: OperationContext,
): Promise<void> {
  const mountDeadline = Math.min(ctx.deadline, ctx.clock.now() + inputs.mountTimeoutSeconds * 1000);
  const left = () => Math.max(1000, mountDeadline - ctx.clock.now());
  const waitSeconds = () => Math.max(1, Math.floor(left() / 1000) - 1);
  const hints = mountHints(inputs);
  const env = mountEnv({
    org: prep.org,
    token: prep.token,
    repos: prep.repos,
    apiUrl: prep.apiUrl,
    superserveUrl: prep.superserveUrl,
  });
  const secrets = [prep.token];
  const what = prep.repos.map((r) => `${r.org}/${r.repo}@${r.bookmark}`).join(", ");
  const probes = prep.repos.map((r) => r.probe);
  // Every command below is safe to run twice (the retries do when an answer is lost): the start
  // carries this id, so a second run finds the daemon of the first instead of starting another.
  const startId = randomUUID();
  if (fresh) {
    ctx.log.status(`mounting ${what} (mesa CLI policy ${inputs.mesaCli})`);
    await runStep(
      sandbox,
      mountAndWaitCommand(inputs.mesaCli, probes, waitSeconds(), startId),
      {
        step: "install the mesa CLI and mount the repos",
        hints,
        env,
        timeoutMs: left() + 5000,
        secrets,
      },
      ctx,
    );
    return;
  }
  ctx.log.status(`checking the mesa CLI (policy ${inputs.mesaCli})`);
  await runStep(
    sandbox,
    installCommand(inputs.mesaCli),
    { step: "install the mesa CLI", hints, timeoutMs: left() },
    ctx,
  );
  await stopMount(sandbox, left(), ctx);
  ctx.log.status(`mounting ${what}`);
  await runStep(
    sandbox,
    mountCommand(startId),
    { step: "start `mesa mount -d`", hints, env, timeoutMs: left(), secrets },
    ctx,
  );
  await runStep(
    sandbox,
    waitCommand(probes, waitSeconds()),
    { step: "wait for the mount", hints, timeoutMs: left() + 5000, secrets },
    ctx,
  );
}

/** SIGTERM the mount daemon (it flushes) and wait for it to exit; no-op when none runs. */
export async function stopMount(
  sandbox: Sandbox,
  timeoutMs: number,
  ctx: Pick<OperationContext, "retry">,
): Promise<void> {
  await runStep(
    sandbox,
    unmountCommand(UNMOUNT_GRACE_SECONDS),
    {
      step: "stop the mesa daemon",
      hints: {
        default: "The daemon did not exit after SIGTERM; it may still be flushing edits to Mesa.",
      },
      timeoutMs: Math.max(timeoutMs, (UNMOUNT_GRACE_SECONDS + 10) * 1000),
    },
    ctx,
  );
}

/**
 * Whether the mount serves the repos at `mountPaths` in a running sandbox (the health check is
 * read-only, so retried like any call). A check that cannot be made counts as not mounted: only
 * a mount seen serving is reported as mounted.
 */
export async function checkMount(
  sandbox: Sandbox,
  mountPaths: Record<string, string> | undefined,
  ctx: Pick<OperationContext, "retry">,
): Promise<{ mounted: boolean; reason?: string }> {
  try {
    const stdout = await runStep(
      sandbox,
      healthCommand(Object.values(mountPaths ?? {})),
      { step: "check the mount", hints: { default: "" }, timeoutMs: 30_000 },
      ctx,
    );
    return parseHealth(stdout);
  } catch (err) {
    return { mounted: false, reason: `the mount could not be checked (${describeError(err)})` };
  }
}

/**
 * Whether a state knows where its repos are mounted: not after an import that found no mount (the
 * sandbox paused, or nothing mounted), nor after a create that failed before the mount. Such a
 * mount is never reported as serving: `up` mounts the repos as declared.
 */
export function knowsMount(state: Pick<MountedSandboxOutputs, "mountPaths">): boolean {
  return Object.keys(state.mountPaths ?? {}).length > 0;
}

/**
 * Where the first repo is mounted: the recorded `mountPath`, or, in a state recorded before it was
 * an output, the first repo's entry of `mountPaths` (refresh and update fill it in).
 */
export function firstMountPath(
  state: Pick<MountedSandboxOutputs, "mountPath" | "mountPaths" | "repos">,
): string {
  return state.mountPath ?? state.mountPaths?.[state.repos?.[0]?.repo] ?? "";
}

/** The outputs that describe the mount's repos. */
export function mountOutputs(
  org: string,
  repos: PreparedRepo[],
): Pick<MountedSandboxOutputs, "org" | "mountPaths" | "mountPath" | "bookmarks"> {
  return {
    org,
    mountPaths: Object.fromEntries(repos.map((r) => [r.repo, r.probe.path])),
    mountPath: repos[0]?.probe.path ?? "",
    bookmarks: Object.fromEntries(repos.map((r) => [r.repo, r.bookmark])),
  };
}
