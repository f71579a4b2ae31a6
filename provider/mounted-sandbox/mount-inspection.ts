/**
 * What `pulumi import` finds mounted in a running sandbox that this provider did not mount: one
 * read-only command lists what the daemon serves under `<mount point>/<org>/<repo>` (the layout
 * `checkMount` relies on), whether the daemon of the PID file runs and whether the mount failed
 * closed, and what `mesa stats --format json` reports (the org, and each repo's revision and
 * read-only flag). The token is never read: `mesa stats` reports no credential, and the command
 * reads no environment.
 *
 * Everything the sandbox prints is hostile input: the output is cut to {@link MAX_OUTPUT_CHARS},
 * at most {@link MAX_REPOS} repos are taken, and every name must be a valid org, repo or bookmark
 * name, or it is dropped. Nothing read is executed or used beyond being reported (and the repos
 * are then looked up in Mesa before they are believed, see `import.ts`).
 */
import { bookmarkProblem, nameProblem, type NameRules } from "../naming";
import { shellQuote } from "../shell-quote";
import { DAEMON_ALIVE, FAILED_MARKER, MOUNT_POINT, PID_FILE } from "./mount-commands";

/** Most repos an inspection reports (any more are ignored). */
export const MAX_REPOS = 64;
/** Most characters of the inspection's output that are read. */
export const MAX_OUTPUT_CHARS = 65_536;
/** How long `mesa stats` may take (a hung one leaves the bookmarks unknown). */
const STATS_TIMEOUT_SECONDS = 10;
/** Separates the listing from the output of `mesa stats`. */
const STATS_SEPARATOR = "--- mesa stats ---";

/** Org and repo names, as Mesa allows them. */
const SLUG_RULES: NameRules = {
  what: "name",
  maxLength: 100,
  pattern: /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
  description: "letters, digits, '.', '_' and '-'",
};

/**
 * Prints `daemon running|stopped`, `failed` when the mount failed closed, `dir <org>/<repo>` for
 * each directory two levels under the mount point (at most {@link MAX_REPOS}), and, while the
 * daemon runs, `mesa stats --format json` (cut to {@link MAX_OUTPUT_CHARS}, stopped after
 * {@link STATS_TIMEOUT_SECONDS}) after a separator.
 */
export function inspectCommand(): string {
  return [
    'PATH="$HOME/.local/bin:$PATH"; export PATH',
    `if { ${DAEMON_ALIVE}; }; then running=1; echo "daemon running"; else running=; echo "daemon stopped"; fi`,
    `[ -e ${FAILED_MARKER} ] && echo failed`,
    "n=0",
    `for p in ${MOUNT_POINT}/*/*/; do`,
    '  [ -d "$p" ] || continue',
    `  n=$((n + 1)); [ "$n" -gt ${MAX_REPOS} ] && break`,
    '  p="${p%/}"; repo="${p##*/}"; rest="${p%/*}"',
    '  printf \'dir %s/%s\\n\' "${rest##*/}" "$repo"',
    "done",
    `[ -n "$running" ] || exit 0`,
    `echo ${shellQuote(STATS_SEPARATOR)}`,
    `timeout ${STATS_TIMEOUT_SECONDS} mesa stats --pid-file ${PID_FILE} --format json 2>/dev/null | head -c ${MAX_OUTPUT_CHARS}`,
    "exit 0",
  ].join("\n");
}

/** One mounted repo as found in the sandbox. */
export interface FoundRepo {
  org: string;
  repo: string;
  /** The bookmark it serves, when `mesa stats` said (a change id or nothing: unknown). */
  bookmark?: string;
  /** Whether it is mounted read-only, when `mesa stats` said. */
  readOnly?: boolean;
}

/** What {@link inspectCommand} found. */
export interface MountInspection {
  /** The daemon of the PID file runs and the mount has not failed closed. */
  serving: boolean;
  /** The org of the mount: `mesa stats`'s, else the only org with repo directories. */
  org?: string;
  /** The org's repos: those `mesa stats` lists that have a directory, else every directory. */
  repos: FoundRepo[];
}

function validSlug(name: unknown): name is string {
  return typeof name === "string" && nameProblem(name, SLUG_RULES) === undefined;
}

/** `<org>/<repo>` with both parts valid, or undefined. */
function splitFullName(fullName: unknown): { org: string; repo: string } | undefined {
  if (typeof fullName !== "string") return undefined;
  const parts = fullName.split("/");
  if (parts.length !== 2 || !validSlug(parts[0]) || !validSlug(parts[1])) return undefined;
  return { org: parts[0], repo: parts[1] };
}

/** What `mesa stats --format json` says, keeping only well-formed fields. */
interface Stats {
  org?: string;
  failed: boolean;
  repos: FoundRepo[];
}

function parseStats(text: string): Stats | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return undefined;
  const stats = raw as Record<string, unknown>;
  const repos: FoundRepo[] = [];
  const listed = Array.isArray(stats.repos) ? stats.repos.slice(0, MAX_REPOS) : [];
  for (const entry of listed) {
    if (typeof entry !== "object" || entry === null) continue;
    const { repo, rev, readOnly } = entry as Record<string, unknown>;
    const name = splitFullName(repo);
    if (!name) continue;
    const found: FoundRepo = { ...name };
    const bookmark = typeof rev === "string" && rev.startsWith("bookmark:") ? rev.slice(9) : "";
    if (bookmarkProblem("bookmark", bookmark) === undefined) found.bookmark = bookmark;
    if (typeof readOnly === "boolean") found.readOnly = readOnly;
    repos.push(found);
  }
  return {
    ...(validSlug(stats.org) && { org: stats.org }),
    failed: stats.state === "failed",
    repos,
  };
}

/** Parses the (hostile) output of {@link inspectCommand}. */
export function parseInspection(stdout: string): MountInspection {
  const text = stdout.slice(0, MAX_OUTPUT_CHARS);
  const at = text.indexOf(`\n${STATS_SEPARATOR}\n`);
  const listing = (at < 0 ? text : text.slice(0, at)).split("\n");
  const stats = at < 0 ? undefined : parseStats(text.slice(at + STATS_SEPARATOR.length + 2));
  const dirs: { org: string; repo: string }[] = [];
  for (const line of listing) {
    if (!line.startsWith("dir ") || dirs.length >= MAX_REPOS) continue;
    const name = splitFullName(line.slice(4));
    if (name) dirs.push(name);
  }
  const serving =
    listing.includes("daemon running") && !listing.includes("failed") && !stats?.failed;
  const dirOrgs = [...new Set(dirs.map((d) => d.org))];
  const org = stats?.org ?? (dirOrgs.length === 1 ? dirOrgs[0] : undefined);
  const hasDir = (r: { org: string; repo: string }) =>
    dirs.some((d) => d.org === r.org && d.repo === r.repo);
  const candidates = stats && stats.repos.length > 0 ? stats.repos.filter(hasDir) : dirs;
  const seen = new Set<string>();
  const repos = candidates.filter((r) => {
    if (r.org !== org || seen.has(r.repo)) return false;
    seen.add(r.repo);
    return true;
  });
  return { serving, ...(org !== undefined && { org }), repos };
}
