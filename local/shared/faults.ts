import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { readJsonBody, RequestBodyError } from "./body";
import { sendJson } from "./http-server";

/**
 * Fault injection shared by the local backends.
 *
 * Admin endpoint (authenticated with the backend's admin credential, `Authorization: Bearer …`):
 *
 * - `POST /_local/faults` with {@link FaultSpec} JSON → `201 {"id": "<fault id>"}`
 * - `DELETE /_local/faults` → `200 {"cleared": <number of faults removed>}`
 *
 * The next `count` requests whose method equals `method` (any when unset) and whose raw request
 * path (percent-encoded, no query string) matches the regular expression `path` (any when
 * unset) get the fault, in this order: `latencyMs` delays the request; then `drop` destroys the
 * socket without an answer; or `status` answers with that status in the backend's own error
 * envelope (429 also carries `Retry-After: retryAfterSeconds`, default 1). A fault with only
 * `latencyMs` lets the request through after the delay. Faults are matched oldest first; the
 * admin endpoint itself is never faulted.
 */
export const FAULTS_PATH = "/_local/faults";

/** Body of `POST /_local/faults`. */
export interface FaultSpec {
  /** HTTP method to match, e.g. `"GET"`; any method when unset. */
  method?: string;
  /** Regular expression tested against the raw request path; any path when unset. */
  path?: string;
  /** How many matching requests get the fault (≥ 1). */
  count: number;
  /** Status to answer with. */
  status?: 429 | 500 | 503;
  /** `Retry-After` seconds sent with a 429 (default 1). */
  retryAfterSeconds?: number;
  /** Delay added before the request is answered or passed through. */
  latencyMs?: number;
  /** Destroy the connection instead of answering. */
  drop?: boolean;
}

/** Builds a backend's error body for a status and message (the vendor's envelope). */
export type ErrorEnvelope = (status: number, message: string) => unknown;

interface ArmedFault {
  id: string;
  spec: FaultSpec;
  pathRe?: RegExp;
  remaining: number;
}

/** Thrown by {@link parseFaultSpec}; the message names the field and the fix. */
export class FaultSpecError extends Error {
  override name = "FaultSpecError";
}

/** Validates an untrusted `POST /_local/faults` body into a {@link FaultSpec}. */
export function parseFaultSpec(body: unknown): FaultSpec {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new FaultSpecError("fault body must be a JSON object with at least `count`");
  }
  const b = body as Record<string, unknown>;
  const known = ["method", "path", "count", "status", "retryAfterSeconds", "latencyMs", "drop"];
  for (const key of Object.keys(b)) {
    if (!known.includes(key))
      throw new FaultSpecError(`unknown field \`${key}\`; allowed: ${known.join(", ")}`);
  }
  const isNonNegInt = (v: unknown) => typeof v === "number" && Number.isInteger(v) && v >= 0;
  if (!isNonNegInt(b.count) || (b.count as number) < 1) {
    throw new FaultSpecError("`count` must be an integer ≥ 1 (how many requests get the fault)");
  }
  if (b.method !== undefined && (typeof b.method !== "string" || !/^[A-Za-z]+$/.test(b.method))) {
    throw new FaultSpecError('`method` must be an HTTP method such as "GET"');
  }
  if (b.path !== undefined) {
    if (typeof b.path !== "string")
      throw new FaultSpecError("`path` must be a regular expression string");
    try {
      new RegExp(b.path);
    } catch (err) {
      throw new FaultSpecError(
        `\`path\` is not a valid regular expression: ${(err as Error).message}`,
      );
    }
  }
  if (b.status !== undefined && ![429, 500, 503].includes(b.status as number)) {
    throw new FaultSpecError("`status` must be 429, 500 or 503");
  }
  if (b.retryAfterSeconds !== undefined && !isNonNegInt(b.retryAfterSeconds)) {
    throw new FaultSpecError("`retryAfterSeconds` must be an integer ≥ 0");
  }
  if (b.latencyMs !== undefined && !isNonNegInt(b.latencyMs)) {
    throw new FaultSpecError("`latencyMs` must be an integer ≥ 0");
  }
  if (b.drop !== undefined && typeof b.drop !== "boolean") {
    throw new FaultSpecError("`drop` must be true or false");
  }
  if (b.status === undefined && b.drop !== true && b.latencyMs === undefined) {
    throw new FaultSpecError("set at least one of `status`, `latencyMs` or `drop: true`");
  }
  if (b.status !== undefined && b.drop === true) {
    throw new FaultSpecError("`status` and `drop` exclude each other; pick one");
  }
  return {
    count: b.count as number,
    ...(b.method !== undefined && { method: b.method.toUpperCase() }),
    ...(b.path !== undefined && { path: b.path }),
    ...(b.status !== undefined && { status: b.status as 429 | 500 | 503 }),
    ...(b.retryAfterSeconds !== undefined && { retryAfterSeconds: b.retryAfterSeconds as number }),
    ...(b.latencyMs !== undefined && { latencyMs: b.latencyMs as number }),
    ...(b.drop !== undefined && { drop: b.drop }),
  };
}

/** Options of {@link FaultInjector}. */
export interface FaultInjectorOptions {
  /** The backend's error envelope for faults and for the admin endpoint's own errors. */
  envelope: ErrorEnvelope;
  /** True when the request carries the backend's admin credential. */
  isAdmin: (req: IncomingMessage) => boolean;
  /** Waits `ms` milliseconds (injectable so tests control time). Default: a timer. */
  sleep?: (ms: number) => Promise<void>;
  /** Fault id generator. Default: random UUIDs. */
  newId?: () => string;
  /** Body size limit of the admin endpoint. Default 64 KiB. */
  maxBodyBytes?: number;
}

/** Holds the armed faults of one backend and applies them to its requests. */
export class FaultInjector {
  private faults: ArmedFault[] = [];
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly newId: () => string;

  constructor(private readonly opts: FaultInjectorOptions) {
    this.sleep = opts.sleep ?? ((ms) => new Promise((ok) => setTimeout(ok, ms)));
    this.newId = opts.newId ?? randomUUID;
  }

  /** Arms a fault and returns its id. */
  add(spec: FaultSpec): string {
    const id = this.newId();
    this.faults.push({
      id,
      spec,
      remaining: spec.count,
      ...(spec.path !== undefined && { pathRe: new RegExp(spec.path) }),
    });
    return id;
  }

  /** Removes every armed fault and returns how many there were. */
  clear(): number {
    const n = this.faults.length;
    this.faults = [];
    return n;
  }

  /** Takes one use of the oldest fault matching `method` + `rawPath`, if any. */
  take(method: string, rawPath: string): FaultSpec | undefined {
    const hit = this.faults.find(
      (f) =>
        (f.spec.method === undefined || f.spec.method === method.toUpperCase()) &&
        (f.pathRe === undefined || f.pathRe.test(rawPath)),
    );
    if (!hit) return undefined;
    hit.remaining -= 1;
    if (hit.remaining <= 0) this.faults = this.faults.filter((f) => f !== hit);
    return hit.spec;
  }

  /**
   * Runs before routing: serves the admin endpoint, or applies a matching fault.
   * Returns true when the request was fully handled (answered or dropped), false to continue.
   */
  async intercept(req: IncomingMessage, res: ServerResponse, rawPath: string): Promise<boolean> {
    const method = (req.method ?? "GET").toUpperCase();
    if (rawPath === FAULTS_PATH) {
      await this.serveAdmin(req, res, method);
      return true;
    }
    const fault = this.take(method, rawPath);
    if (!fault) return false;
    if (fault.latencyMs) await this.sleep(fault.latencyMs);
    if (fault.drop) {
      req.socket.destroy();
      return true;
    }
    if (fault.status === undefined) return false;
    const headers: Record<string, string> =
      fault.status === 429 ? { "retry-after": String(fault.retryAfterSeconds ?? 1) } : {};
    const message =
      fault.status === 429
        ? "rate limited (injected fault); retry after the Retry-After delay"
        : `service unavailable (injected fault ${fault.status}); retry the request`;
    sendJson(res, fault.status, this.opts.envelope(fault.status, message), headers);
    return true;
  }

  private async serveAdmin(
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
  ): Promise<void> {
    const fail = (status: number, message: string) =>
      sendJson(res, status, this.opts.envelope(status, message));
    if (!this.opts.isAdmin(req)) {
      req.resume();
      return fail(
        401,
        "the faults endpoint needs the backend's admin key as `Authorization: Bearer <key>`",
      );
    }
    if (method === "DELETE") {
      req.resume();
      return sendJson(res, 200, { cleared: this.clear() });
    }
    if (method !== "POST") {
      req.resume();
      return fail(405, `use POST or DELETE on ${FAULTS_PATH}`);
    }
    try {
      const spec = parseFaultSpec(await readJsonBody(req, this.opts.maxBodyBytes ?? 64 * 1024));
      sendJson(res, 201, { id: this.add(spec) });
    } catch (err) {
      if (err instanceof FaultSpecError) return fail(400, err.message);
      if (err instanceof RequestBodyError) return fail(err.status, err.message);
      throw err;
    }
  }
}
