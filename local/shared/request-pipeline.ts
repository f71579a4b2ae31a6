import type { IncomingMessage, ServerResponse } from "node:http";
import { readJsonBody, RequestBodyError } from "./body";
import type { FaultInjector } from "./faults";
import { sendJson, splitUrl, type RequestHandler } from "./http-server";
import { RouteTable, type HttpMethod } from "./router";

/** One row of an emulator's operation table, as the pipeline routes it. */
export interface RoutedOperation {
  method: HttpMethod;
  /** The full path in the SDK's template form, e.g. `/v1/{org}/repos`. */
  path: string;
  /** `json`: the pipeline parses the body before the handler (empty is `undefined`); otherwise the body is left to the handler. */
  body?: "json";
}

/**
 * A handler's answer: `raw` bytes, else `body` as JSON (none when undefined). A handler that
 * returns nothing wrote the response itself.
 */
export interface Reply {
  status: number;
  body?: unknown;
  raw?: { contentType: string; data: Buffer };
}

/** A request that passed routing, authentication and body reading. */
export interface RoutedRequest<Op, Caller> {
  req: IncomingMessage;
  res: ServerResponse;
  operation: Op;
  /** Path parameters, percent-decoded once. */
  params: Record<string, string>;
  query: URLSearchParams;
  /** Who is calling, as the emulator's authenticator returned it. */
  caller: Caller;
  /** The parsed JSON body when the operation takes one; otherwise undefined (left unread). */
  body: unknown;
}

/** An error as it goes on the wire. */
export interface WireError {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

/** The errors of the pipeline's own steps, in the emulator's words (its one error factory). */
export interface PipelineErrors {
  notFound(method: string, rawPath: string): Error;
  /** 405; the error carries the `Allow` header listing `allowed`. */
  methodNotAllowed(method: string, rawPath: string, allowed: HttpMethod[]): Error;
  /** A body over the limit (status 413) or not JSON (400). */
  badBody(err: RequestBodyError): Error;
  /** Any thrown value as the answer it gets: the emulator's own errors as they are, others a 500. */
  toWire(err: unknown): WireError;
}

/** What one emulator gives the pipeline. */
export interface Emulator<Op extends RoutedOperation, Caller> {
  /** The operation table. */
  operations: Iterable<Op>;
  faults: FaultInjector;
  errors: PipelineErrors;
  /** Largest accepted JSON body, in bytes (413 above). */
  maxBodyBytes: number;
  /** Verifies the caller of `operation` (credential, scope, the resources the path names). */
  authenticate(
    req: IncomingMessage,
    operation: Op,
    params: Record<string, string>,
  ): Promise<Caller>;
  /** Runs the operation's handler. */
  handle(request: RoutedRequest<Op, Caller>): Promise<Reply | void>;
}

/**
 * The request pipeline of every local emulator, in this fixed order: faults (and their admin
 * endpoint) → route → 405 with `Allow` (the path exists, the method does not) or 404 → auth →
 * JSON body → handler → reply, and any error → the emulator's error envelope (the socket is
 * destroyed when the answer had already started).
 */
export function requestPipeline<Op extends RoutedOperation, Caller>(
  emulator: Emulator<Op, Caller>,
): RequestHandler {
  const routes = new RouteTable<Op>();
  for (const op of emulator.operations) routes.add(op.method, op.path, op);
  const { errors } = emulator;

  async function dispatch(
    req: IncomingMessage,
    res: ServerResponse,
    rawPath: string,
    query: URLSearchParams,
  ): Promise<void> {
    const method = (req.method ?? "GET").toUpperCase();
    const found = routes.lookup(method, rawPath);
    if (found.kind === "not-found") throw errors.notFound(method, rawPath);
    if (found.kind === "method-not-allowed")
      throw errors.methodNotAllowed(method, rawPath, found.allowed);
    const { route: operation, params } = found;
    const caller = await emulator.authenticate(req, operation, params);
    const body =
      operation.body === "json" ? await readJsonBody(req, emulator.maxBodyBytes) : undefined;
    writeReply(res, await emulator.handle({ req, res, operation, params, query, caller, body }));
  }

  return async (req, res) => {
    const { rawPath, query } = splitUrl(req.url);
    try {
      if (await emulator.faults.intercept(req, res, rawPath)) return;
      await dispatch(req, res, rawPath, query);
    } catch (err) {
      const wire = errors.toWire(err instanceof RequestBodyError ? errors.badBody(err) : err);
      if (!req.complete) req.resume();
      if (res.headersSent) return void res.destroy();
      sendJson(res, wire.status, wire.body, wire.headers);
    }
  };
}

/** Writes a handler's reply (nothing when the handler wrote the response itself). */
function writeReply(res: ServerResponse, reply: Reply | void): void {
  if (!reply) return;
  if (reply.raw) {
    res.writeHead(reply.status, {
      "content-type": reply.raw.contentType,
      "content-length": String(reply.raw.data.length),
    });
    res.end(reply.raw.data);
  } else if (reply.body === undefined) {
    res.writeHead(reply.status);
    res.end();
  } else sendJson(res, reply.status, reply.body);
}
