/**
 * The Mesa access token a mounted sandbox gets: scoped to exactly the repos it mounts, read-only
 * when every repo is read-only, and renewed by `pulumi up` once it nears its expiry.
 *
 * The token itself never leaves the provider process except as the mount command's environment:
 * it is not an output, not in the state and not in any message.
 */
import type { Mesa } from "@mesadev/sdk" with { "resolution-mode": "import" };
import type { MountedRepo } from "./mount-commands";
import type { MountedSandboxInputs, MountedSandboxOutputs } from "./state";

/** Default token lifetime in seconds (the SDK's default). */
export const DEFAULT_TOKEN_TTL_SECONDS = 3600;
/** Longest lifetime the Mesa signer accepts, in seconds. */
export const MAX_TOKEN_TTL_SECONDS = 86_400;
/** A token is renewed when less than this fraction of its lifetime is left. */
const RENEWAL_FRACTION = 0.1;

/** One mounted repo, as the token sees it. */
interface TokenRepo {
  /** `org/repo`. */
  fullName: string;
  readOnly: boolean;
}

/** What to ask `mesa.tokens.create` for. */
interface TokenRequest {
  scopes: string[];
  repos: string[];
  ttl_seconds: number;
}

/**
 * The token request for a set of mounted repos: exactly those repos (sorted, deduplicated), with
 * the `read` scope only when every one of them is read-only.
 */
export function tokenRequest(repos: readonly TokenRepo[], ttlSeconds: number): TokenRequest {
  const names = [...new Set(repos.map((r) => r.fullName))].sort();
  const writable = repos.some((r) => !r.readOnly);
  return { scopes: writable ? ["read", "write"] : ["read"], repos: names, ttl_seconds: ttlSeconds };
}

/**
 * True when a token expiring at `expiresAt` (ISO 8601) should be re-signed at `nowMs`: it has
 * expired, less than 10% of `ttlSeconds` is left, or the expiry is unknown.
 */
export function tokenNeedsRenewal(
  expiresAt: string | undefined,
  ttlSeconds: number,
  nowMs: number,
): boolean {
  if (!expiresAt) return true;
  const expiresMs = Date.parse(expiresAt);
  if (Number.isNaN(expiresMs)) return true;
  return expiresMs - nowMs <= ttlSeconds * 1000 * RENEWAL_FRACTION;
}

/** Why `up` must act on a sandbox's mount: its token must be re-signed, or the mount is not known to serve. */
export type RemountReason = "token" | "mount";

/**
 * True when the mount runs on a token this provider did not sign: the sandbox was imported
 * (`pulumi import`), the program has not changed `tokenTtlSeconds` since, and no remount has
 * signed a token of ours (`tokenExpiresAt` is empty).
 */
export function importedToken(
  olds: Partial<Pick<MountedSandboxOutputs, "tokenExpiresAt">>,
  news: Partial<Pick<MountedSandboxInputs, "unreported">>,
): boolean {
  return !olds.tokenExpiresAt && (news.unreported ?? []).includes("tokenTtlSeconds");
}

/**
 * What `up` must repair in a sandbox's mount — the one decision, made by `diff` (so the plan shows
 * an update) and by `update` (which then acts): `"token"` when the token's lifetime changed or the
 * token is due for renewal ({@link tokenNeedsRenewal}), which means signing a new one and
 * remounting; `"mount"` when the mount is not known to serve (dead, or unverifiable while the
 * sandbox was paused), which means checking it in the running sandbox and remounting when it
 * does not serve; undefined when nothing is due. A token this provider did not sign
 * ({@link importedToken}) is never renewed: only the mount's health counts, so an imported mount
 * is left alone until a refresh finds it dead, and then remounted with a token of ours.
 */
export function remountReason(
  olds: Partial<Pick<MountedSandboxOutputs, "mounted" | "tokenTtlSeconds" | "tokenExpiresAt">>,
  news: Partial<Pick<MountedSandboxInputs, "tokenTtlSeconds" | "unreported">>,
  nowMs: number,
): RemountReason | undefined {
  if (!importedToken(olds, news)) {
    if (news.tokenTtlSeconds !== olds.tokenTtlSeconds) return "token";
    const ttl = olds.tokenTtlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS;
    if (tokenNeedsRenewal(olds.tokenExpiresAt, ttl, nowMs)) return "token";
  }
  if (olds.mounted !== true) return "mount";
  return undefined;
}

/** Why `ttl` is not an acceptable token lifetime, or undefined when it is. */
export function ttlProblem(ttl: unknown): string | undefined {
  if (typeof ttl !== "number" || !Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TOKEN_TTL_SECONDS) {
    return `tokenTtlSeconds must be a whole number of seconds from 1 to ${MAX_TOKEN_TTL_SECONDS} (24 h); got ${JSON.stringify(ttl)}. Leave it unset for ${DEFAULT_TOKEN_TTL_SECONDS}.`;
  }
  return undefined;
}

/** Sign the mount's token: exactly these repos, read-only when all are. */
export async function signToken(
  mesa: Mesa,
  repos: ReadonlyArray<Pick<MountedRepo, "org" | "repo" | "readOnly">>,
  ttlSeconds: number,
): Promise<{ token: string; expiresAt: string }> {
  const request = tokenRequest(
    repos.map((r) => ({ fullName: `${r.org}/${r.repo}`, readOnly: r.readOnly })),
    ttlSeconds,
  );
  const signed = await mesa.tokens.create(request);
  return { token: signed.token, expiresAt: signed.expires_at };
}
