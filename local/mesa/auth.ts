import { createHash } from "node:crypto";
import type { Clock } from "../shared/clock";
import { constantTimeEqual } from "../shared/constant-time";
import { mesaErrors } from "./errors";
import type { ApiKeyRecord, MetadataStore, OrgRecord, RepoRecord, Scope } from "./store";

/** Longest access-token lifetime the service accepts (`exp - iat`), in seconds. */
export const MAX_TOKEN_TTL_SECONDS = 86_400;
/** Clock skew tolerated when checking `exp` and `iat`, in seconds. */
const CLOCK_SKEW_SECONDS = 30;

/** Who is calling, after verification. */
export interface Principal {
  org: OrgRecord;
  key: ApiKeyRecord;
  /** Effective scopes: for an access token, the requested scopes ∩ the key's scopes. */
  scopes: Scope[];
  /** `org/repo` names an access token is limited to; null = no token restriction. */
  tokenRepos: string[] | null;
  via: "api_key" | "access_token";
}

/**
 * The SDK's derivation of the stored key secret: base64url(sha256(utf8(raw key))), no padding.
 * It is both the lookup hash of `Bearer mesa_…` and (as UTF-8 bytes) the HMAC key of access tokens.
 */
export function hashApiKey(raw: string): string {
  return createHash("sha256").update(raw, "utf8").digest("base64url");
}

/** True when the principal holds `scope` (`admin` implies every scope). */
export function hasScope(p: Principal, scope: Scope): boolean {
  return p.scopes.includes(scope) || p.scopes.includes("admin");
}

/** True when the principal may see `repo` (key `repo_ids` and token `repos` both apply). */
export function canAccessRepo(p: Principal, repo: RepoRecord): boolean {
  if (p.key.repoIds !== null && !p.key.repoIds.includes(repo.id)) return false;
  return p.tokenRepos === null || p.tokenRepos.includes(`${p.org.slug}/${repo.name}`);
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- typescript-eslint types an import type with attributes (ESM-only package from CommonJS) as an error
type Jose = typeof import("jose", { with: { "resolution-mode": "import" } });

/** Verifies bearer credentials: raw API keys and the SDK-signed HS256 access tokens. */
export class Authenticator {
  constructor(private readonly deps: { store: MetadataStore; jose: Jose; clock: Clock }) {}

  /** Resolves the principal of a bearer credential or throws a 401 Mesa error. */
  async authenticate(bearer: string | undefined): Promise<Principal> {
    if (!bearer) {
      throw mesaErrors.unauthorized(
        "missing credentials; send `Authorization: Bearer <api key or access token>`",
      );
    }
    return bearer.startsWith("eyJ") && bearer.split(".").length === 3
      ? this.verifyAccessToken(bearer)
      : this.verifyApiKey(bearer);
  }

  private activeKey(key: ApiKeyRecord | undefined): ApiKeyRecord | undefined {
    if (!key || key.revokedAt !== null) return undefined;
    if (key.expiresAt !== null && Date.parse(key.expiresAt) <= this.deps.clock.now())
      return undefined;
    return key;
  }

  private principalFor(
    key: ApiKeyRecord,
    scopes: Scope[],
    tokenRepos: string[] | null,
    via: Principal["via"],
  ): Principal {
    const org = this.deps.store.orgById(key.orgId);
    if (!org)
      throw mesaErrors.unauthorized("the API key's organization no longer exists; use another key");
    return { org, key, scopes, tokenRepos, via };
  }

  private verifyApiKey(raw: string): Principal {
    const hash = hashApiKey(raw);
    const key = this.activeKey(this.deps.store.apiKeyByHash(hash));
    if (!key || !constantTimeEqual(key.keyHash, hash)) {
      throw mesaErrors.unauthorized(
        "invalid, revoked or expired API key; create a new key and retry",
      );
    }
    return this.principalFor(key, key.scopes, null, "api_key");
  }

  private async verifyAccessToken(token: string): Promise<Principal> {
    const { jose, store, clock } = this.deps;
    let key: ApiKeyRecord | undefined;
    let payload: Record<string, unknown>;
    try {
      const verified = await jose.jwtVerify(
        token,
        (header) => {
          const m = /^(.+)\.v1$/.exec(header.kid ?? "");
          if (!m) throw mesaErrors.unauthorized("access token `kid` must be `<api key id>.v1`");
          key = this.activeKey(store.apiKeyById(m[1]));
          if (!key)
            throw mesaErrors.unauthorized(
              "access token was signed by an unknown, revoked or expired API key",
            );
          return new TextEncoder().encode(key.keyHash);
        },
        {
          algorithms: ["HS256"],
          typ: "mesa-at+jwt",
          audience: "mesa-api",
          requiredClaims: ["iss", "iat", "exp"],
          clockTolerance: CLOCK_SKEW_SECONDS,
          currentDate: new Date(clock.now()),
        },
      );
      payload = verified.payload;
    } catch (err) {
      if (err instanceof Error && err.name === "MesaHttpError") throw err;
      const code = (err as { code?: string }).code;
      throw mesaErrors.unauthorized(
        code === "ERR_JWT_EXPIRED"
          ? "access token expired; sign a new one with mesa.tokens.create"
          : `invalid access token (${(err as Error).message}); sign a new one with mesa.tokens.create`,
      );
    }
    const k = key as ApiKeyRecord;
    const iat = payload.iat as number;
    const exp = payload.exp as number;
    if (payload.iss !== k.id)
      throw mesaErrors.unauthorized("access token `iss` must equal the signing key id");
    if (exp - iat > MAX_TOKEN_TTL_SECONDS) {
      throw mesaErrors.unauthorized(
        `access token lifetime exceeds ${MAX_TOKEN_TTL_SECONDS} seconds; use a shorter ttl`,
      );
    }
    if (iat > clock.now() / 1000 + CLOCK_SKEW_SECONDS) {
      throw mesaErrors.unauthorized(
        "access token `iat` is in the future; check the signer's clock",
      );
    }
    const requested = Array.isArray(payload.scopes) ? (payload.scopes as unknown[]) : [];
    const scopes = k.scopes.filter((s) => requested.includes(s));
    const repos = payload.repos;
    const tokenRepos = Array.isArray(repos)
      ? repos.filter((r): r is string => typeof r === "string")
      : null;
    return this.principalFor(k, scopes, tokenRepos, "access_token");
  }
}
