/** The vendor's error envelope: `{"error":{"code","message"}}`. */
interface ErrorBody {
  error: { code: string; message: string };
}

/** An error answered with the vendor's status, code and message. Handlers throw these. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "ApiError";
  }

  /** The response body. */
  body(): ErrorBody {
    return { error: { code: this.code, message: this.message } };
  }
}

/** The one factory for every error the local Superserve answers with (tests assert against it). */
export const errors = {
  invalid: (field: string, fix: string) =>
    new ApiError(400, "bad_request", `invalid \`${field}\`: ${fix}`),
  badRequest: (message: string) => new ApiError(400, "bad_request", message),
  missingApiKey: () =>
    new ApiError(
      401,
      "unauthorized",
      "missing or invalid API key: send the local key as X-API-Key (see `npx pulumi-superserve-mesa-local status --json`)",
    ),
  badAccessToken: () =>
    new ApiError(
      401,
      "unauthorized",
      "invalid or expired access token: call POST /sandboxes/{id}/activate for a fresh one",
    ),
  notFound: (kind: string, id: string) =>
    new ApiError(404, "not_found", `${kind} ${JSON.stringify(id)} not found`),
  /** A query value outside the spec's range where the spec declares no 400 (`listTemplateBuilds`): 404, no such page. */
  noSuchPage: (field: string, fix: string) =>
    new ApiError(404, "not_found", `no such page: invalid \`${field}\`: ${fix}`),
  /** 405 with the `Allow` header (RFC 9110 §15.5.6) listing `allowed`. */
  methodNotAllowed: (method: string | undefined, path: string, allowed: string[]) =>
    new ApiError(
      405,
      "method_not_allowed",
      `${method} is not supported on ${path}; use ${allowed.join(" or ")}`,
      { allow: allowed.join(", ") },
    ),
  conflict: (code: string, message: string) => new ApiError(409, code, message),
  paused: (id: string) =>
    new ApiError(
      503,
      "sandbox_not_running",
      `sandbox ${id} is paused: resume it (POST /sandboxes/${id}/activate) and retry`,
    ),
  tooLarge: (message: string) => new ApiError(413, "payload_too_large", message),
  notImplemented: (what: string) =>
    new ApiError(
      501,
      "not_implemented",
      `${what} is not available in the local Superserve; use the hosted service for it`,
    ),
  internal: (message: string) => new ApiError(500, "internal_error", message),
};

/** `err` as the answer it gets: itself when it is an {@link ApiError}, else a 500. */
export function toApiError(err: unknown): ApiError {
  return err instanceof ApiError ? err : errors.internal((err as Error).message);
}

/** Builds the envelope for a status and message (used by fault injection). */
export function envelopeFor(status: number, message: string): ErrorBody {
  const code =
    status === 429 ? "rate_limited" : status === 503 ? "service_unavailable" : "internal_error";
  return { error: { code, message } };
}
