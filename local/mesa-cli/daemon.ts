import { createHash } from "node:crypto";
import * as fs from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { writeFileAtomic } from "../shared/atomic-write";
import { ConfigError, type MountConfig } from "./config";
import { MesaApi, MesaApiError, type RepoInfo } from "./mesa-api";
import { forEachLimit } from "./remote-tree";
import { RepoSync, type Logger } from "./repo-sync";
import { statsFilePath, type DaemonStats } from "./stats-file";
import { canWrite, readTokenClaims } from "./token";

/** Name of the file written at the mount point when the mount fails closed. */
export const FAILED_MARKER = "MESA_MOUNT_FAILED";

/** Grace left for the final flush after SIGTERM (Superserve waits 10 s before SIGKILL). */
const SHUTDOWN_FLUSH_MS = 8000;

/** Hooks of {@link runMount}. */
interface MountHooks {
  log: Logger;
  /** Called once the initial checkout is done and the PID file exists. */
  onReady: (summary: string) => void;
  /** Ends the process. */
  exit: (code: number) => void;
}

/**
 * Runs the mount (started by `mount-start.ts`, which tells the whole start): resolves the repos the credential can see, checks each out under
 * `<mount point>/<org>/<repo>`, writes the PID file, then keeps syncing until SIGTERM/SIGINT,
 * when it flushes pending edits and exits.
 */
export async function runMount(config: MountConfig, hooks: MountHooks): Promise<void> {
  const { log } = hooks;
  refuseSecondDaemon(config.pidFile);
  let shutdown: ((signal: string) => Promise<void>) | undefined;
  for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
    process.on(signal, () => {
      if (shutdown !== undefined) void shutdown(signal);
      else {
        log(`${signal} before the mount was ready: nothing written yet, exiting`);
        hooks.exit(1);
      }
    });
  }
  const claims = readTokenClaims(config.credential);
  if (claims !== undefined && claims.expiresAtMs <= Date.now()) {
    throw new ConfigError(
      `MESA_API_KEY holds an access token that expired at ${new Date(claims.expiresAtMs).toISOString()}: mint a new one with mesa.tokens.create`,
    );
  }
  const api = new MesaApi({ apiUrl: config.apiUrl, credential: config.credential });
  const repos = await listMountableRepos(api, config, claims?.repos ?? null);
  const scopes =
    claims?.scopes ?? (await api.whoami().catch(() => ({ scopes: ["read", "write"] }))).scopes;
  const writable = canWrite(scopes);
  const stats: DaemonStats = {
    pid: process.pid,
    org: config.org,
    mountPoint: config.mountPoint,
    apiUrl: config.apiUrl,
    startedAt: new Date().toISOString(),
    state: "ok",
    reason: null,
    tokenExpiresAt:
      claims && Number.isFinite(claims.expiresAtMs)
        ? new Date(claims.expiresAtMs).toISOString()
        : null,
    repos: [],
  };
  fs.mkdirSync(config.runtimeDir, { recursive: true });
  fs.mkdirSync(join(config.mountPoint, config.org), { recursive: true });
  fs.rmSync(join(config.mountPoint, FAILED_MARKER), { force: true });
  const statsFile = statsFilePath(config.runtimeDir, process.pid);
  let statsTimer: NodeJS.Timeout | undefined;
  const publish = (): void => {
    stats.repos = syncs.map((sync) => sync.snapshot());
    writeFileAtomic(statsFile, JSON.stringify(stats, null, 2));
  };
  const schedulePublish = (): void => {
    statsTimer ??= setTimeout(() => {
      statsTimer = undefined;
      publish();
    }, 100);
  };
  let failing = false;
  const failAll = (reason: string): void => {
    if (failing) return;
    failing = true;
    stats.state = "failed";
    stats.reason = reason;
    log(`mount failed closed: ${reason}`);
    void Promise.all(syncs.map((sync) => sync.failClosed(reason))).then(() => {
      const unsaved = syncs.reduce((n, sync) => n + sync.snapshot().pendingPaths, 0);
      fs.writeFileSync(
        join(config.mountPoint, FAILED_MARKER),
        `The Mesa mount stopped syncing at ${new Date().toISOString()}: ${reason}\n` +
          `${unsaved} edit(s) were not saved to Mesa; the working copies are now read-only.\n`,
      );
      publish();
    });
  };
  const mountKey = createHash("sha256").update(config.mountPoint).digest("hex").slice(0, 12);
  const author = { name: "mesa mount", email: `mesa@${hostname()}` };
  const syncs = repos.map(
    (repo) =>
      new RepoSync({
        api,
        org: config.org,
        repo: repo.name,
        rev: config.repoRevs.get(`${config.org}/${repo.name}`) ?? {
          kind: "bookmark",
          name: repo.default_bookmark,
        },
        root: join(config.mountPoint, config.org, repo.name),
        readOnly: !writable || config.readOnlyRepos.has(`${config.org}/${repo.name}`),
        stateFile: join(config.stateDir, "state", mountKey, config.org, `${repo.name}.json`),
        author,
        debounceMs: config.debounceMs,
        pollMs: config.pollMs,
        log,
        onUpdate: schedulePublish,
        onCredentialRejected: failAll,
      }),
  );
  const started = Date.now();
  await forEachLimit(syncs, 4, async (sync) => {
    try {
      await sync.checkout();
    } catch (error) {
      const { repo, rev } = sync.snapshot();
      if (error instanceof MesaApiError && error.status === 404) {
        throw new ConfigError(
          `cannot check out ${repo} at ${rev} (${error.message}): check MESA_REPO_REVS`,
        );
      }
      throw error;
    }
  });
  publish();
  writeFileAtomic(config.pidFile, `${process.pid}\n`);
  const summary = `mounted ${syncs.length} repo(s) of ${config.org} at ${config.mountPoint} in ${Date.now() - started} ms (pid ${process.pid})`;
  for (const sync of syncs) sync.start();
  const keepAlive = setInterval(publish, 5000);

  const timers: NodeJS.Timeout[] = [];
  if (claims !== undefined && Number.isFinite(claims.expiresAtMs)) {
    const untilExpiry = claims.expiresAtMs - Date.now();
    timers.push(
      setTimeout(
        () => void Promise.all(syncs.map((sync) => sync.flush(claims.expiresAtMs - 200))),
        Math.max(0, untilExpiry - 1500),
      ),
    );
    timers.push(
      setTimeout(
        () =>
          failAll(
            `the access token expired at ${new Date(claims.expiresAtMs).toISOString()}; mint a new token and run \`mesa mount\` again`,
          ),
        Math.max(0, untilExpiry),
      ),
    );
  }

  let stopping = false;
  shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: flushing pending edits`);
    const deadline = Date.now() + SHUTDOWN_FLUSH_MS;
    const flushed = await Promise.race([
      Promise.all(syncs.map((sync) => sync.flush(deadline - 500))).then((done) =>
        done.every(Boolean),
      ),
      new Promise<boolean>((resolve) =>
        setTimeout(() => resolve(false), SHUTDOWN_FLUSH_MS).unref(),
      ),
    ]);
    if (!flushed)
      log(
        `not every edit could be written within ${SHUTDOWN_FLUSH_MS} ms; unsynced edits stay in the working copy and are written by the next \`mesa mount\``,
      );
    for (const timer of timers) clearTimeout(timer);
    clearInterval(keepAlive);
    clearTimeout(statsTimer);
    await Promise.all(syncs.map((sync) => sync.stop()));
    fs.rmSync(config.pidFile, { force: true });
    fs.rmSync(statsFile, { force: true });
    log("unmounted");
    hooks.exit(flushed ? 0 : 1);
  };
  log(summary);
  hooks.onReady(summary);
}

async function listMountableRepos(
  api: MesaApi,
  config: MountConfig,
  tokenRepos: string[] | null,
): Promise<RepoInfo[]> {
  let repos: RepoInfo[];
  try {
    repos = await api.listRepos(config.org);
  } catch (error) {
    if (
      error instanceof MesaApiError &&
      (error.status === 401 || error.status === 403 || error.status === 404)
    ) {
      throw new ConfigError(
        `Mesa refused to list the repos of '${config.org}' (${error.message}): check MESA_ORG and that MESA_API_KEY is a valid, unexpired key or token for it`,
      );
    }
    throw error;
  }
  const allowed = tokenRepos === null ? undefined : new Set(tokenRepos);
  return repos.filter((repo) => allowed === undefined || allowed.has(`${config.org}/${repo.name}`));
}

function refuseSecondDaemon(pidFile: string): void {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(pidFile, "utf8").trim());
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return;
  try {
    process.kill(pid, 0);
  } catch {
    return;
  }
  throw new ConfigError(
    `a mesa daemon is already running (pid ${pid}, PID file ${pidFile}): stop it with \`kill ${pid}\` or set MESA_RUNTIME_DIR to run another`,
  );
}
