import type { IncomingMessage } from "node:http";
import { constantTimeEqual } from "../shared/constant-time";
import { errors } from "./errors";
import type { SandboxRuntime } from "./runtime/types";
import type { SandboxRecord } from "./store/records";
import type { SuperserveStore } from "./store/store";

/** The first value of a request header. */
export function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The control plane's credential: the instance's API key, sent as `X-API-Key`. */
export class ApiKeyAuthenticator {
  constructor(private readonly apiKey: string) {}

  /** Passes a request carrying the API key; 401 otherwise. */
  authenticate(req: IncomingMessage): void {
    if (!this.matches(header(req, "x-api-key"))) throw errors.missingApiKey();
  }

  /** True for the fault admin endpoint's caller: the API key as `Authorization: Bearer` or `X-API-Key`. */
  isAdmin(req: IncomingMessage): boolean {
    return (
      this.matches(req.headers.authorization?.replace(/^Bearer\s+/i, "")) ||
      this.matches(header(req, "x-api-key"))
    );
  }

  private matches(given: string | undefined): boolean {
    return given !== undefined && given !== "" && constantTimeEqual(given, this.apiKey);
  }
}

/** The prefix of the `Sec-WebSocket-Protocol` entry that carries the access token on `commands.spawn`. */
const TOKEN_SUBPROTOCOL_PREFIX = "token.";

/**
 * The data plane's credential: the sandbox's access token. A request names its sandbox with
 * `X-Superserve-Sandbox-Id` (or the `boxd-<id>.` host it was sent to) and sends the token as
 * `X-Access-Token`; a `commands.spawn` upgrade sends the token as a `token.<access_token>`
 * subprotocol and names the sandbox by host, or not at all.
 */
export class AccessTokenAuthenticator {
  constructor(private readonly deps: { store: SuperserveStore; runtime: SandboxRuntime }) {}

  /** The sandbox of a data-plane request: 400 unnamed, 404 unknown, 401 stale token, 503 paused. */
  authenticate(req: IncomingMessage): SandboxRecord {
    const id =
      header(req, "x-superserve-sandbox-id") ??
      sandboxIdFromHost(header(req, "x-superserve-original-host"));
    if (!id)
      throw errors.badRequest(
        "missing X-Superserve-Sandbox-Id: send the sandbox id with every data-plane request",
      );
    return this.verify(id, header(req, "x-access-token") ?? "");
  }

  /**
   * The sandbox of a WebSocket upgrade offering `subprotocols`: 401 without a token or when no
   * sandbox has it, 404 unknown host sandbox, 401 stale token, 503 paused.
   */
  authenticateUpgrade(req: IncomingMessage, subprotocols: string[]): SandboxRecord {
    const token = subprotocols
      .find((p) => p.startsWith(TOKEN_SUBPROTOCOL_PREFIX))
      ?.slice(TOKEN_SUBPROTOCOL_PREFIX.length);
    if (!token) throw errors.badAccessToken();
    const id =
      sandboxIdFromHost(header(req, "x-superserve-original-host") ?? header(req, "host")) ??
      this.sandboxIdForToken(token);
    if (!id) throw errors.badAccessToken();
    return this.verify(id, token);
  }

  private verify(id: string, token: string): SandboxRecord {
    const s = this.deps.store.getSandbox(id);
    if (!s) throw errors.notFound("sandbox", id);
    if (!constantTimeEqual(token, s.access_token)) throw errors.badAccessToken();
    if (s.status !== "active" || !this.deps.runtime.isRunning(id)) throw errors.paused(id);
    return s;
  }

  /** The sandbox whose access token is `token` (for clients that do not name the sandbox in the host). */
  private sandboxIdForToken(token: string): string | undefined {
    return this.deps.store.listSandboxes().find((s) => constantTimeEqual(s.access_token, token))
      ?.id;
  }
}

/** The sandbox id in a `boxd-<id>.<sandbox host>` host name, if it is one. */
function sandboxIdFromHost(host: string | undefined): string | undefined {
  return /^boxd-([^.]+)\./.exec(host ?? "")?.[1];
}
