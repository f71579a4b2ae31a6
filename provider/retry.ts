/**
 * Retries for vendor API calls: transient failures (429 honouring Retry-After, 5xx, network
 * errors, timeouts) are retried with exponential backoff and full jitter until a deadline;
 * permanent failures (other 4xx, local validation errors) are thrown at once.
 *
 * The clock, the sleep and the random source are injected so tests never wait for real time.
 */

/** How long and how often to retry. */
interface RetryPolicy {
  /** First backoff step in milliseconds (doubles per attempt). */
  baseDelayMs: number;
  /** Largest backoff step in milliseconds. */
  maxDelayMs: number;
  /** Absolute time (ms since epoch, as returned by `clock.now()`) after which no attempt starts. */
  deadline: number;
}

/** Time and randomness, injectable for tests. */
export interface RetryClock {
  now(): number;
  sleep(ms: number): Promise<void>;
  /** A number in [0, 1). */
  random(): number;
}

/** The real clock. */
export const systemClock: RetryClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: () => Math.random(),
};

/** What a failure means for the caller. */
export type FailureKind =
  | { transient: true; retryAfterMs?: number; status?: number }
  | { transient: false; status?: number };

/** Statuses that mean "try again later". */
const TRANSIENT_STATUSES = new Set([408, 425, 429, 500, 502, 503, 504]);

/** Node / undici error codes of a connection that failed or dropped. */
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "ENOTFOUND",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "UND_ERR_CLOSED",
]);

/** HTTP status of a vendor SDK error (`status` in `@mesadev/sdk`, `statusCode` in `@superserve/sdk`), if it carries one. */
export function statusOf(err: unknown): number | undefined {
  const e = err as { status?: unknown; statusCode?: unknown } | undefined;
  if (typeof e?.status === "number") return e.status;
  if (typeof e?.statusCode === "number") return e.statusCode;
  return undefined;
}

/**
 * Classify an error thrown by `@mesadev/sdk` (MesaApiError: `status`, `headers`), by
 * `@superserve/sdk` (SandboxError: `statusCode`; TimeoutError; "Network error: …") or by fetch.
 */
export function classifyFailure(err: unknown): FailureKind {
  if (err instanceof ClassifiedError) return err.kind;
  const e = err as {
    headers?: unknown;
    name?: unknown;
    message?: unknown;
    code?: unknown;
    cause?: unknown;
  };
  if (!e || typeof e !== "object") return { transient: false };
  const status = statusOf(e);
  if (status !== undefined) {
    if (!TRANSIENT_STATUSES.has(status)) return { transient: false, status };
    return { transient: true, status, retryAfterMs: retryAfterMs(e.headers) };
  }
  if (e.name === "TimeoutError") return { transient: true };
  if (typeof e.code === "string" && NETWORK_CODES.has(e.code)) return { transient: true };
  const message = typeof e.message === "string" ? e.message : "";
  if (/^(Network|Stream|Download|Upload) error:/.test(message) || message === "fetch failed") {
    return { transient: true };
  }
  if (e.cause && e.cause !== err) {
    const inner = classifyFailure(e.cause);
    if (inner.transient) return inner;
  }
  return { transient: false };
}

/**
 * An error re-thrown in words of its own (e.g. a vendor error whose text had to be redacted) that
 * keeps the original's classification, so retries still see what it was.
 */
export class ClassifiedError extends Error {
  /** The original's HTTP status, if any (for progress messages). */
  readonly statusCode?: number;
  constructor(
    message: string,
    readonly kind: FailureKind,
  ) {
    super(message);
    this.name = "ClassifiedError";
    this.statusCode = kind.status;
  }
}

/**
 * {@link classifyFailure} for calls where a 409 clears up by itself: an object an earlier attempt
 * created meanwhile (the create looks again and adopts it), or a template still building or in use
 * by sandboxes being deleted (the delete waits a short, stated while: superserve-template/delete.ts).
 * Such a 409 is retried until the deadline the caller gives.
 */
export function conflictIsTransient(err: unknown): FailureKind {
  return statusOf(err) === 409 ? { transient: true } : classifyFailure(err);
}

/** Parse a Retry-After header (delta-seconds or HTTP date) from a `Headers`-like object. */
function retryAfterMs(headers: unknown): number | undefined {
  const get = (headers as { get?: (name: string) => string | null } | undefined)?.get;
  if (typeof get !== "function") return undefined;
  const value = get.call(headers, "retry-after");
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** Thrown when the deadline passes while the service keeps failing transiently. */
export class RetryDeadlineError extends Error {
  constructor(
    readonly operation: string,
    readonly attempts: number,
    readonly lastError: unknown,
  ) {
    super(
      `${operation} kept failing with transient errors and gave up after ${attempts} attempt(s) ` +
        `at its deadline: ${describeError(lastError)}. The service is overloaded or unreachable; ` +
        `run the command again later, or raise the resource's timeout.`,
      { cause: lastError },
    );
    this.name = "RetryDeadlineError";
  }
}

/** A short, secret-free description of an error for messages. */
export function describeError(err: unknown): string {
  const text = err instanceof Error ? err.message || err.name : String(err);
  return text.replace(/[.\s]+$/, "");
}

interface RetryOptions {
  /** What is being attempted, for the error message (e.g. "create Mesa repo acme/x"). */
  operation: string;
  policy: RetryPolicy;
  clock: RetryClock;
  /** Called before each wait, e.g. to log progress. */
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
  /** Override the classification (e.g. to treat a 409 "not ready" as transient). */
  classify?: (err: unknown) => FailureKind;
}

/**
 * Run `op` until it succeeds, fails permanently, or the deadline leaves no time for another
 * attempt. The n-th retry waits `random() * min(maxDelay, base * 2^n)`, or exactly the server's
 * Retry-After when it sent one (capped by the deadline).
 */
export async function withRetry<T>(
  op: (attempt: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const { policy, clock } = options;
  const classify = options.classify ?? classifyFailure;
  for (let attempt = 1; ; attempt++) {
    try {
      return await op(attempt);
    } catch (err) {
      const kind = classify(err);
      if (!kind.transient) throw err;
      const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
      const delayMs = kind.retryAfterMs ?? Math.round(clock.random() * backoff);
      if (clock.now() + delayMs >= policy.deadline) {
        throw new RetryDeadlineError(options.operation, attempt, err);
      }
      options.onRetry?.({ attempt, delayMs, error: err });
      await clock.sleep(delayMs);
    }
  }
}
