/**
 * The Mesa error envelope and the one factory every handler and test uses.
 *
 * Wire shape (all statuses): `{"error": {"code", "message", "details"?, "trace_id"?}}`;
 * `trace_id` is attached to 5xx answers as the real service does.
 */

/** The JSON body of every Mesa error answer. */
interface MesaErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown>; trace_id?: string };
}

/** An error that the pipeline turns into a Mesa error answer. */
export class MesaHttpError extends Error {
  override name = "MesaHttpError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  /** The envelope for this error; `traceId` is used for 5xx only. */
  body(traceId?: string): MesaErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.details !== undefined && { details: this.details }),
        ...(this.status >= 500 && traceId !== undefined && { trace_id: traceId }),
      },
    };
  }
}

/** The vendor's error codes, keyed by what went wrong. */
export const ErrorCodes = {
  badRequest: "BAD_REQUEST",
  unauthorized: "UNAUTHORIZED",
  forbidden: "FORBIDDEN",
  notFound: "NOT_FOUND",
  methodNotAllowed: "METHOD_NOT_ALLOWED",
  notAcceptable: "NOT_ACCEPTABLE",
  conflict: "CONFLICT",
  mergeConflict: "MERGE_CONFLICT",
  payloadTooLarge: "PAYLOAD_TOO_LARGE",
  rateLimited: "RATE_LIMITED",
  internal: "INTERNAL_ERROR",
  notImplemented: "NOT_IMPLEMENTED",
  unavailable: "SERVICE_UNAVAILABLE",
} as const;

/** Factory of every Mesa error answer; tests assert against the same functions. */
export const mesaErrors = {
  badRequest: (message: string, details?: Record<string, unknown>) =>
    new MesaHttpError(400, ErrorCodes.badRequest, message, details),
  unauthorized: (message: string) => new MesaHttpError(401, ErrorCodes.unauthorized, message),
  forbidden: (message: string) => new MesaHttpError(403, ErrorCodes.forbidden, message),
  notFound: (what: string) => new MesaHttpError(404, ErrorCodes.notFound, `${what} not found`),
  methodNotAllowed: (allowed: string[]) =>
    new MesaHttpError(
      405,
      ErrorCodes.methodNotAllowed,
      `method not allowed; use ${allowed.join(", ")}`,
      undefined,
      {
        allow: allowed.join(", "),
      },
    ),
  notAcceptable: (message: string) => new MesaHttpError(406, ErrorCodes.notAcceptable, message),
  conflict: (message: string, details?: Record<string, unknown>) =>
    new MesaHttpError(409, ErrorCodes.conflict, message, details),
  mergeConflict: (message: string, conflictPaths: string[]) =>
    new MesaHttpError(409, ErrorCodes.mergeConflict, message, { conflict_paths: conflictPaths }),
  payloadTooLarge: (message: string) => new MesaHttpError(413, ErrorCodes.payloadTooLarge, message),
  internal: (message = "internal error; retry, and report the trace_id if it persists") =>
    new MesaHttpError(500, ErrorCodes.internal, message),
  notImplemented: (operation: string) =>
    new MesaHttpError(
      501,
      ErrorCodes.notImplemented,
      `${operation} is not implemented by the local Mesa backend; see local/mesa/DIVERGENCES.md`,
    ),
  /** The envelope for a status chosen by fault injection. */
  forStatus: (status: number, message: string) => {
    const code =
      status === 429
        ? ErrorCodes.rateLimited
        : status === 401
          ? ErrorCodes.unauthorized
          : status === 400
            ? ErrorCodes.badRequest
            : status === 405
              ? ErrorCodes.methodNotAllowed
              : status === 413
                ? ErrorCodes.payloadTooLarge
                : status === 503
                  ? ErrorCodes.unavailable
                  : ErrorCodes.internal;
    return new MesaHttpError(status, code, message);
  },
};
