import type { IncomingMessage, ServerResponse } from "node:http";
import { RequestBodyError, readJsonBody } from "../shared/body";
import type { FaultInjector } from "../shared/faults";
import { bearerToken, sendJson, splitUrl, type RequestHandler } from "../shared/http-server";
import { PathMethods } from "../shared/path-methods";
import { RouteTable } from "../shared/router";
import { canAccessRepo, hasScope, type Authenticator } from "./auth";
import { MesaHttpError, mesaErrors } from "./errors";
import { handlers } from "./handlers";
import {
  OPERATIONS,
  type MesaServices,
  type OperationContext,
  type OperationId,
} from "./operations";

/** Everything the request pipeline needs. */
interface MesaServerDeps {
  services: MesaServices;
  auth: Authenticator;
  faults: FaultInjector;
  /** Largest accepted JSON body, in bytes (413 above). */
  maxBodyBytes: number;
}

/** API prefix the SDK's default `apiUrl` carries. */
export const API_PREFIX = "/v1";

function buildRoutes(): RouteTable<OperationId> {
  const table = new RouteTable<OperationId>();
  for (const [id, op] of Object.entries(OPERATIONS))
    table.add(op.method, API_PREFIX + op.path, id as OperationId);
  return table;
}

const pathMethods = () =>
  new PathMethods(
    Object.values(OPERATIONS).map((op) => ({ method: op.method, pattern: API_PREFIX + op.path })),
  );

/**
 * The request pipeline, in this fixed order:
 * context → faults → route → auth → scope → org/repo → body → handler → serialize, and any
 * error → the Mesa error envelope (5xx carry a `trace_id`).
 */
export function createMesaHandler(deps: MesaServerDeps): RequestHandler {
  const routes = buildRoutes();
  const methods = pathMethods();
  const { services } = deps;

  async function dispatch(
    req: IncomingMessage,
    res: ServerResponse,
    rawPath: string,
    query: URLSearchParams,
  ): Promise<void> {
    const method = (req.method ?? "GET").toUpperCase();
    // The path decides the methods (`/{org}/repos` has GET and POST only), before any route match.
    const allowed = methods.allowed(rawPath);
    if (allowed.length && !(allowed as string[]).includes(method))
      throw mesaErrors.methodNotAllowed(allowed);
    const match = routes.match(method, rawPath);
    if (!match) throw mesaErrors.notFound(`Route ${method} ${rawPath}`);
    const op = OPERATIONS[match.route];
    const principal = await deps.auth.authenticate(bearerToken(req));
    if (!hasScope(principal, op.scope)) {
      throw mesaErrors.forbidden(
        `this operation needs the \`${op.scope}\` scope; the credential has [${principal.scopes.join(", ")}]`,
      );
    }
    const ctx = {
      services,
      principal,
      params: match.params,
      query,
      accept: req.headers.accept ?? "",
    } as OperationContext;
    if (op.target !== "none") {
      const org = services.store.orgBySlug(match.params.org);
      if (!org) throw mesaErrors.notFound(`Organization "${match.params.org}"`);
      if (org.id !== principal.org.id)
        throw mesaErrors.forbidden(
          `the credential belongs to organization "${principal.org.slug}", not "${org.slug}"`,
        );
      ctx.org = org;
    }
    if (op.target === "repo") {
      const repo = services.store.repoByName(ctx.org.id, match.params.repo);
      // A repo outside the credential's reach is reported as missing, so that its existence does not leak.
      if (!repo || !canAccessRepo(principal, repo))
        throw mesaErrors.notFound(`Repo "${match.params.repo}"`);
      ctx.repo = repo;
    }
    if (method === "POST" || method === "PATCH" || method === "PUT") {
      ctx.body = await readJsonBody(req, deps.maxBodyBytes);
      // Every POST and PATCH of the API declares a required JSON body (the SDK always sends one).
      if (ctx.body === undefined)
        throw mesaErrors.badRequest(
          "request body is required; send a JSON object (`{}` for no fields)",
        );
    }
    const result = await handlers[match.route](ctx);
    if (result.raw) {
      res.writeHead(result.status, {
        "content-type": result.raw.contentType,
        "content-length": String(result.raw.data.length),
      });
      res.end(result.raw.data);
    } else {
      sendJson(res, result.status, result.body);
    }
  }

  return async (req, res) => {
    const { rawPath, query } = splitUrl(req.url);
    try {
      if (await deps.faults.intercept(req, res, rawPath)) return;
      await dispatch(req, res, rawPath, query);
    } catch (err) {
      const error =
        err instanceof MesaHttpError
          ? err
          : err instanceof RequestBodyError
            ? err.status === 413
              ? mesaErrors.payloadTooLarge(err.message)
              : mesaErrors.badRequest(err.message)
            : mesaErrors.internal(`internal error: ${(err as Error).message}`);
      if (!req.complete) req.resume();
      if (res.headersSent) return void res.destroy();
      sendJson(res, error.status, error.body(services.ids.uuid()), error.headers);
    }
  };
}
