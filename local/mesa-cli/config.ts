import { join } from "node:path";

/** Which revision of a repo the mount shows and writes to. */
export type RepoRev = { kind: "bookmark"; name: string } | { kind: "change-id"; id: string };

/** Everything `mesa mount` needs, read from the `MESA_*` environment. */
export interface MountConfig {
  org: string;
  /** API key (`mesa_…`) or access token (JWT). Never logged. */
  credential: string;
  apiUrl: string;
  mountPoint: string;
  /** Per `org/repo`: the revision to mount (default: the repo's default bookmark). */
  repoRevs: Map<string, RepoRev>;
  /** `org/repo` names mounted read-only even when the credential may write. */
  readOnlyRepos: Set<string>;
  runtimeDir: string;
  pidFile: string;
  /** Daemon log; undefined = stdout (foreground only). */
  logFile: string | undefined;
  /** Where per-repo sync state is kept across restarts. */
  stateDir: string;
  /** Quiet period after the last edit before a change is written. */
  debounceMs: number;
  /** How often the remote bookmark is checked for moves by others. */
  pollMs: number;
}

/** A configuration problem, worded for the user. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

const DEFAULT_API_URL = "https://api.mesa.dev/v1";

/** Reads the mount configuration from `env`; throws {@link ConfigError} naming the variable to fix. */
export function readMountConfig(env: NodeJS.ProcessEnv, daemonize: boolean): MountConfig {
  const org = env.MESA_ORG?.trim();
  if (!org)
    throw new ConfigError(
      "MESA_ORG is not set: set it to the organization to mount (e.g. MESA_ORG=local)",
    );
  const credential = (env.MESA_API_KEY ?? env.MESA_ACCESS_TOKEN)?.trim();
  if (!credential) {
    throw new ConfigError(
      "MESA_API_KEY is not set: set it to an API key (mesa_…) or an access token from mesa.tokens.create",
    );
  }
  const home = env.HOME ?? "/home/user";
  const expand = (path: string): string =>
    path === "~" || path.startsWith("~/") ? home + path.slice(1) : path;
  const apiUrl =
    env.MESA_API_URL?.trim() || serviceDomainUrl(env.MESA_SERVICE_DOMAIN) || DEFAULT_API_URL;
  if (!/^https?:\/\//.test(apiUrl)) {
    throw new ConfigError(
      `MESA_API_URL '${apiUrl}' is not an http(s) URL: set it to the REST base, e.g. http://127.0.0.1:7000/v1`,
    );
  }
  const runtimeDir = runtimeDirFrom(env);
  const logFile = env.MESA_DAEMON_LOG_FILE?.trim()
    ? expand(env.MESA_DAEMON_LOG_FILE.trim())
    : daemonize
      ? join(runtimeDir, "daemon.log")
      : undefined;
  return {
    org,
    credential,
    apiUrl,
    mountPoint: expand(env.MESA_MOUNT_POINT?.trim() || "~/.local/share/mesa/mnt"),
    repoRevs: parseRepoRevs(env.MESA_REPO_REVS ?? ""),
    readOnlyRepos: new Set(splitList(env.MESA_READ_ONLY_REPOS ?? "")),
    runtimeDir,
    pidFile: join(runtimeDir, "mesa.pid"),
    logFile,
    stateDir: expand(env.MESA_CACHE_PATH?.trim() || `${home}/.cache/mesa`),
    debounceMs: positiveInt(env, "MESA_LOCAL_DEBOUNCE_MS", 150),
    pollMs: positiveInt(env, "MESA_LOCAL_POLL_MS", 2000),
  };
}

/** `MESA_RUNTIME_DIR`, else `$XDG_RUNTIME_DIR/mesa`, else `~/.local/state/mesa/run`. */
export function runtimeDirFrom(env: NodeJS.ProcessEnv): string {
  const home = env.HOME ?? "/home/user";
  const dir =
    env.MESA_RUNTIME_DIR?.trim() ||
    (env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, "mesa") : `${home}/.local/state/mesa/run`);
  return dir === "~" || dir.startsWith("~/") ? home + dir.slice(1) : dir;
}

/** Parses `MESA_REPO_REVS`: `org/repo=bookmark:<name>` or `org/repo=change-id:<id>`, comma-separated. */
export function parseRepoRevs(value: string): Map<string, RepoRev> {
  const revs = new Map<string, RepoRev>();
  for (const item of splitList(value)) {
    const match = /^([^/=\s]+\/[^/=\s]+)=(bookmark|change-id):(.+)$/.exec(item);
    if (!match) {
      throw new ConfigError(
        `MESA_REPO_REVS entry '${item}' is not valid: use org/repo=bookmark:<name> or org/repo=change-id:<id>`,
      );
    }
    const [, repo, kind, rev] = match;
    revs.set(
      repo,
      kind === "bookmark" ? { kind: "bookmark", name: rev } : { kind: "change-id", id: rev },
    );
  }
  return revs;
}

function splitList(value: string): string[] {
  return value
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
}

function serviceDomainUrl(domain: string | undefined): string | undefined {
  return domain?.trim() ? `https://api.${domain.trim()}/v1` : undefined;
}

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0)
    throw new ConfigError(`${name} '${raw}' must be a positive integer (milliseconds)`);
  return value;
}
