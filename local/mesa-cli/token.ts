/** What the mount learns from an access token without verifying it (the server verifies). */
interface TokenClaims {
  scopes: string[];
  /** `org/repo` names, or null for every repo the key can reach. */
  repos: string[] | null;
  /** Expiry in epoch milliseconds. */
  expiresAtMs: number;
}

/**
 * Reads the claims of a Mesa access token (`typ mesa-at+jwt`); returns undefined for an API key
 * or anything that is not a JWT.
 */
export function readTokenClaims(credential: string): TokenClaims | undefined {
  const parts = credential.split(".");
  if (parts.length !== 3 || !credential.startsWith("eyJ")) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8")) as {
      scopes?: unknown;
      repos?: unknown;
      exp?: unknown;
    };
    return {
      scopes: Array.isArray(payload.scopes) ? payload.scopes.map(String) : ["read", "write"],
      repos: Array.isArray(payload.repos) ? payload.repos.map(String) : null,
      expiresAtMs: typeof payload.exp === "number" ? payload.exp * 1000 : Number.POSITIVE_INFINITY,
    };
  } catch {
    return undefined;
  }
}

/** True when the scopes allow writing content. */
export function canWrite(scopes: readonly string[]): boolean {
  return scopes.includes("write") || scopes.includes("admin");
}
