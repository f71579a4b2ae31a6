/**
 * The shell commands a mounted sandbox runs through `commands.run`: install the `mesa` CLI,
 * start `mesa mount -d`, wait until the mount serves the repos' files, check its health, and stop
 * it (SIGTERM, which flushes pending edits). Everything here is a pure function of its arguments;
 * credentials only ever travel in the command's environment (see {@link mountEnv}), never in the
 * command text. How the local backends' `mesa` CLI takes the start from there is told in one
 * place: `local/mesa-cli/mount-start.ts`.
 */
import { shellQuote } from "../shell-quote";

/** Where `mesa mount` puts the repos (`<mount point>/<org>/<repo>`); the CLI's default for HOME=/home/user. */
export const MOUNT_POINT = "/home/user/.local/share/mesa/mnt";
/** The daemon's runtime directory: PID file and log. */
export const RUNTIME_DIR = "/home/user/.local/state/mesa/run";
/** The daemon's PID file inside {@link RUNTIME_DIR}. */
export const PID_FILE = `${RUNTIME_DIR}/mesa.pid`;
/** The daemon's log (the mount's progress and errors; it never contains the credential). */
const LOG_FILE = `${RUNTIME_DIR}/daemon.log`;
/** Written at the mount point by a mount that failed closed. */
export const FAILED_MARKER = `${MOUNT_POINT}/MESA_MOUNT_FAILED`;
/**
 * The official installer, `curl -fsSL https://mesa.dev/install.sh | sh -s -- --yes`, with each
 * failure exiting explicitly (a plain pipe would hide a failed download behind `sh`'s success,
 * and `set -e` does not apply inside `||` lists).
 */
export const INSTALLER =
  'installer="$(curl -fsSL https://mesa.dev/install.sh)" || { echo "downloading https://mesa.dev/install.sh failed" >&2; exit 1; }; ' +
  "printf '%s\\n' \"$installer\" | sh -s -- --yes || exit $?";
/** The REST base the CLI uses when `MESA_API_URL` is unset. */
const DEFAULT_MESA_API_URL = "https://api.mesa.dev/v1";

/** True when the URL's host is a loopback address or `localhost`. */
function isLoopbackUrl(url: string): boolean {
  const host = new URL(url).hostname;
  return host === "localhost" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * The `MESA_API_URL` a sandbox's `mesa` CLI needs, or undefined when it needs none: not for the
 * service default, and not for a Mesa on loopback when the Superserve is on loopback too (the
 * local backends): a local sandbox has its own network, where the host's loopback is unreachable
 * and the local Superserve's egress layer serves the CLI's default host from that local Mesa, as
 * on the real service. Any other Mesa (a custom endpoint) is passed, and reached through the
 * sandbox's egress.
 */
export function sandboxMesaApiUrl(
  mesaApiUrl: string | undefined,
  superserveBaseUrl: string | undefined,
): string | undefined {
  const apiUrl = mesaApiUrl?.replace(/\/+$/, "");
  if (!apiUrl || apiUrl === DEFAULT_MESA_API_URL) return undefined;
  if (isLoopbackUrl(apiUrl) && superserveBaseUrl && isLoopbackUrl(superserveBaseUrl))
    return undefined;
  return apiUrl;
}

/** When to run the official `mesa` installer in a new sandbox. */
export type MesaCliPolicy = "auto" | "never" | "always";

/** One repo as the mount sees it. */
export interface MountedRepo {
  org: string;
  repo: string;
  /** The bookmark the mount shows and writes to. */
  bookmark: string;
  readOnly: boolean;
}

/** Path of a repo inside the sandbox. */
export function mountPath(org: string, repo: string): string {
  return `${MOUNT_POINT}/${org}/${repo}`;
}

/** `MESA_REPO_REVS`: `org/repo=bookmark:<name>`, comma-separated, in the given order. */
export function repoRevs(repos: readonly MountedRepo[]): string {
  return repos.map((r) => `${r.org}/${r.repo}=bookmark:${r.bookmark}`).join(",");
}

/** What the mount command's environment is built from. */
interface MountEnvInput {
  org: string;
  /** The access token (JWT); passed as `MESA_API_KEY`. */
  token: string;
  repos: readonly MountedRepo[];
  /** The Mesa REST base in use; `MESA_API_URL` is set only when {@link sandboxMesaApiUrl} says the sandbox needs it. */
  apiUrl?: string;
  /** The Superserve base URL in use (undefined: the service's). */
  superserveUrl?: string;
}

/**
 * The environment of the `mesa mount` command (never the sandbox's persistent env vars).
 * `MESA_READ_ONLY_REPOS` is set when some, but not all, repos are read-only: the token must then
 * allow writing, and the mount refuses writes to the read-only ones.
 */
export function mountEnv(input: MountEnvInput): Record<string, string> {
  const env: Record<string, string> = {
    MESA_ORG: input.org,
    MESA_API_KEY: input.token,
    MESA_REPO_REVS: repoRevs(input.repos),
    MESA_MOUNT_POINT: MOUNT_POINT,
    MESA_RUNTIME_DIR: RUNTIME_DIR,
    MESA_DAEMON_LOG_FILE: LOG_FILE,
    MESA_NO_CONFIG_FILE: "1",
  };
  const apiUrl = sandboxMesaApiUrl(input.apiUrl, input.superserveUrl);
  if (apiUrl) env.MESA_API_URL = apiUrl;
  const readOnly = input.repos.filter((r) => r.readOnly);
  if (readOnly.length > 0 && readOnly.length < input.repos.length) {
    env.MESA_READ_ONLY_REPOS = readOnly.map((r) => `${r.org}/${r.repo}`).join(",");
  }
  return env;
}

/** The official installer puts `mesa` in ~/.local/bin; make sure it is found. */
const PATH_PREFIX = 'PATH="$HOME/.local/bin:$PATH"; export PATH';

/** Exit code of {@link installCommand} and {@link mountAndWaitCommand} when `never` is asked and `mesa` is absent. */
export const EXIT_NO_CLI = 127;
/** Exit code of {@link installCommand} and {@link mountAndWaitCommand} when the official installer failed. */
export const EXIT_INSTALL_FAILED = 4;
/** Exit code of {@link mountCommand} and {@link mountAndWaitCommand} when `mesa mount -d` failed. */
export const EXIT_START_FAILED = 5;
/** Exit code of {@link waitCommand} and {@link mountAndWaitCommand} when the deadline passed. */
export const EXIT_TIMEOUT = 124;
/** Exit code of {@link waitCommand} and {@link mountAndWaitCommand} when the daemon died or the mount failed closed. */
export const EXIT_MOUNT_FAILED = 3;

/** Every variable {@link mountEnv} may set; the installer runs without them, as it would in a step of its own. */
const MOUNT_ENV_NAMES = [
  "MESA_ORG",
  "MESA_API_KEY",
  "MESA_REPO_REVS",
  "MESA_MOUNT_POINT",
  "MESA_RUNTIME_DIR",
  "MESA_DAEMON_LOG_FILE",
  "MESA_NO_CONFIG_FILE",
  "MESA_API_URL",
  "MESA_READ_ONLY_REPOS",
];

const HAVE_CLI = "command -v mesa >/dev/null 2>&1";
const LOG_TAIL = `tail -n 20 ${LOG_FILE} >&2 2>/dev/null || true`;

/** Shell lines that make `mesa` available per `policy`, exiting {@link EXIT_NO_CLI} or {@link EXIT_INSTALL_FAILED}. */
function installLines(policy: MesaCliPolicy): string[] {
  if (policy === "never") {
    return [
      `${HAVE_CLI} || { echo "the mesa CLI is not installed in this sandbox and mesaCli is 'never': install it in the template, or set mesaCli to 'auto'" >&2; exit ${EXIT_NO_CLI}; }`,
    ];
  }
  const run = `( unset ${MOUNT_ENV_NAMES.join(" ")}; ${INSTALLER} ) >&2 || { echo "the official mesa installer failed with exit code $?" >&2; exit ${EXIT_INSTALL_FAILED}; }`;
  return [
    policy === "auto" ? `${HAVE_CLI} || ${run}` : run,
    `${HAVE_CLI} || { echo "the official mesa installer ran, but mesa is not on PATH" >&2; exit ${EXIT_INSTALL_FAILED}; }`,
  ];
}

/** Installs the `mesa` CLI according to `policy`; prints where `mesa` is. */
export function installCommand(policy: MesaCliPolicy): string {
  return [PATH_PREFIX, ...installLines(policy), "command -v mesa"].join("\n");
}

/** What the mount must serve before it counts as ready. */
export interface ReadyProbe {
  /** The repo's directory in the sandbox. */
  path: string;
  /** A top-level entry of the mounted bookmark, or undefined for an empty repo. */
  entry?: string;
}

/** Shell test that is true when the daemon of {@link PID_FILE} is running. */
export const DAEMON_ALIVE = `[ -s ${PID_FILE} ] && kill -0 "$(cat ${PID_FILE})" 2>/dev/null`;

function probeTest(probe: ReadyProbe): string {
  const target = probe.entry === undefined ? probe.path : `${probe.path}/${probe.entry}`;
  return probe.entry === undefined
    ? `[ -d ${shellQuote(target)} ]`
    : `[ -e ${shellQuote(target)} ]`;
}

/** Holds the id of the mount start the running daemon came from. */
const START_MARKER = `${RUNTIME_DIR}/mount-start`;

/**
 * Shell lines that start the daemon, exiting {@link EXIT_START_FAILED} with the log's tail when it
 * does not start. Safe to run twice: when the running daemon came from this same `startId` (a
 * start whose answer was lost, run again by the retries), nothing is started.
 */
function startLines(startId: string): string[] {
  const id = shellQuote(startId);
  return [
    `if { ${DAEMON_ALIVE}; } && [ "$(cat ${START_MARKER} 2>/dev/null)" = ${id} ]; then echo "the daemon of this mount start already runs" >&2; else`,
    `  mkdir -p ${RUNTIME_DIR} && rm -f ${FAILED_MARKER} && printf '%s\\n' ${id} > ${START_MARKER} || { echo "could not prepare ${RUNTIME_DIR}" >&2; exit ${EXIT_START_FAILED}; }`,
    `  mesa mount -d -y || { echo "mesa mount -d failed with exit code $?" >&2; ${LOG_TAIL}; exit ${EXIT_START_FAILED}; }`,
    "fi",
  ];
}

/** Starts the daemon (with the environment of {@link mountEnv}) unless the one of `startId` runs already. */
export function mountCommand(startId: string): string {
  return [PATH_PREFIX, ...startLines(startId)].join("\n");
}

/** Sets `end`, the deadline the wait loop checks. */
function deadlineLine(seconds: number): string {
  return `end=$(( $(date +%s) + ${Math.ceil(seconds)} ))`;
}

/** Shell lines that poll until the daemon runs and every probe is served, or `end` passes. */
function waitLines(probes: readonly ReadyProbe[], seconds: number, pollSeconds: number): string[] {
  const ready = [DAEMON_ALIVE, ...probes.map(probeTest)].join(" && ");
  return [
    "while :; do",
    `  if ${ready}; then exit 0; fi`,
    `  if [ -e ${FAILED_MARKER} ]; then cat ${FAILED_MARKER} >&2; ${LOG_TAIL}; exit ${EXIT_MOUNT_FAILED}; fi`,
    `  if [ -s ${PID_FILE} ] && ! kill -0 "$(cat ${PID_FILE})" 2>/dev/null; then echo "the mesa daemon exited" >&2; ${LOG_TAIL}; exit ${EXIT_MOUNT_FAILED}; fi`,
    `  if [ "$(date +%s)" -ge "$end" ]; then echo "the mount did not serve the repos within ${Math.ceil(seconds)} s" >&2; ${LOG_TAIL}; exit ${EXIT_TIMEOUT}; fi`,
    `  sleep ${pollSeconds}`,
    "done",
  ];
}

/**
 * Waits up to `seconds` until the daemon runs and every probe is served; on failure prints the
 * daemon log's tail to stderr and exits {@link EXIT_TIMEOUT} or {@link EXIT_MOUNT_FAILED}.
 */
export function waitCommand(
  probes: readonly ReadyProbe[],
  seconds: number,
  pollSeconds = 0.2,
): string {
  return [deadlineLine(seconds), ...waitLines(probes, seconds, pollSeconds)].join("\n");
}

/**
 * {@link installCommand}, {@link mountCommand} and {@link waitCommand} as one command (one round
 * trip into a sandbox where no daemon can be running yet): install per `policy`, start the daemon,
 * and wait until every probe is served, all within `seconds` from the start. Each failure exits
 * with its own code: {@link EXIT_NO_CLI}, {@link EXIT_INSTALL_FAILED}, {@link EXIT_START_FAILED},
 * {@link EXIT_MOUNT_FAILED} or {@link EXIT_TIMEOUT}. The installer runs without the mount's
 * environment (so never sees the token). Safe to run twice with the same `startId` (see {@link mountCommand}).
 */
export function mountAndWaitCommand(
  policy: MesaCliPolicy,
  probes: readonly ReadyProbe[],
  seconds: number,
  startId: string,
  pollSeconds = 0.2,
): string {
  return [
    PATH_PREFIX,
    deadlineLine(seconds),
    ...installLines(policy),
    ...startLines(startId),
    ...waitLines(probes, seconds, pollSeconds),
  ].join("\n");
}

/** Prints `mounted` when the daemon runs, has not failed closed, and every repo directory exists; else `unmounted: <why>`. */
export function healthCommand(paths: readonly string[]): string {
  const dirs = paths.map((p) => `[ -d ${shellQuote(p)} ]`).join(" && ") || "true";
  return [
    `if ! { ${DAEMON_ALIVE}; }; then echo "unmounted: the mesa daemon is not running"`,
    `elif [ -e ${FAILED_MARKER} ]; then echo "unmounted: the mount failed closed"`,
    `elif ! { ${dirs}; }; then echo "unmounted: a repo directory is missing"`,
    `else echo mounted; fi`,
  ].join("\n");
}

/** Parses the output of {@link healthCommand}. */
export function parseHealth(stdout: string): { mounted: boolean; reason?: string } {
  const line = stdout.trim().split("\n").pop() ?? "";
  if (line === "mounted") return { mounted: true };
  return {
    mounted: false,
    reason: line.replace(/^unmounted:\s*/, "") || "no answer from the health check",
  };
}

/** Exit code of {@link unmountCommand} when the daemon outlived the grace period. */
const EXIT_STILL_RUNNING = 1;

/**
 * SIGTERMs the daemon (it flushes pending edits, then exits) and waits up to `seconds` for it to
 * exit. Succeeds when no daemon is running.
 */
export function unmountCommand(seconds: number, pollSeconds = 0.2): string {
  return [
    `[ -s ${PID_FILE} ] || exit 0`,
    `pid="$(cat ${PID_FILE})"`,
    'kill -TERM "$pid" 2>/dev/null || exit 0',
    `end=$(( $(date +%s) + ${Math.ceil(seconds)} ))`,
    'while kill -0 "$pid" 2>/dev/null; do',
    `  if [ "$(date +%s)" -ge "$end" ]; then echo "the mesa daemon (pid $pid) still runs ${Math.ceil(seconds)} s after SIGTERM" >&2; exit ${EXIT_STILL_RUNNING}; fi`,
    `  sleep ${pollSeconds}`,
    "done",
  ].join("\n");
}
