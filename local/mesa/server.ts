import type { FaultInjector } from "../shared/faults";
import { bearerToken, type RequestHandler } from "../shared/http-server";
import { requestPipeline, type PipelineErrors } from "../shared/request-pipeline";
import { canAccessRepo, hasScope, type Authenticator, type Principal } from "./auth";
import { MesaHttpError, mesaErrors } from "./errors";
import { handlers } from "./handlers";
import {
  OPERATIONS,
  type MesaServices,
  type OperationContext,
  type OperationId,
} from "./operations";
import type { OrgRecord, RepoRecord } from "./store";

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

/** The verified caller and the org and repo its path names, checked against it. */
interface Caller {
  principal: Principal;
  org?: OrgRecord;
  repo?: RepoRecord;
}

/** Every POST and PATCH of the API declares a required JSON body (the SDK always sends one). */
const needsBody = (method: string) => method === "POST" || method === "PATCH";

/** The operation table as the shared pipeline routes it. */
function routedOperations() {
  return Object.entries(OPERATIONS).map(([id, op]) => ({
    ...op,
    id: id as OperationId,
    path: API_PREFIX + op.path,
    ...(needsBody(op.method) && { body: "json" as const }),
  }));
}

/** The pipeline's errors in Mesa's envelope (5xx carry a `trace_id`). */
function pipelineErrors(services: MesaServices): PipelineErrors {
  return {
    notFound: (method, rawPath) => mesaErrors.notFound(`Route ${method} ${rawPath}`),
    methodNotAllowed: (_method, _rawPath, allowed) => mesaErrors.methodNotAllowed(allowed),
    badBody: (err) =>
      err.status === 413
        ? mesaErrors.payloadTooLarge(err.message)
        : mesaErrors.badRequest(err.message),
    toWire: (err) => {
      const error =
        err instanceof MesaHttpError
          ? err
          : mesaErrors.internal(`internal error: ${(err as Error).message}`);
      return {
        status: error.status,
        body: error.body(services.ids.uuid()),
        headers: error.headers,
      };
    },
  };
}

/**
 * Mesa's request pipeline: the shared one (faults → route → 405/404 → auth → body → handler →
 * reply → error), where auth is the bearer credential, then the operation's scope, then the org
 * and repo the path names.
 */
export function createMesaHandler(deps: MesaServerDeps): RequestHandler {
  const { services } = deps;
  return requestPipeline({
    operations: routedOperations(),
    faults: deps.faults,
    errors: pipelineErrors(services),
    maxBodyBytes: deps.maxBodyBytes,
    authenticate: async (req, op, params): Promise<Caller> => {
      const principal = await deps.auth.authenticate(bearerToken(req));
      if (!hasScope(principal, op.scope)) {
        throw mesaErrors.forbidden(
          `this operation needs the \`${op.scope}\` scope; the credential has [${principal.scopes.join(", ")}]`,
        );
      }
      if (op.target === "none") return { principal };
      const org = services.store.orgBySlug(params.org);
      if (!org) throw mesaErrors.notFound(`Organization "${params.org}"`);
      if (org.id !== principal.org.id)
        throw mesaErrors.forbidden(
          `the credential belongs to organization "${principal.org.slug}", not "${org.slug}"`,
        );
      if (op.target === "org") return { principal, org };
      const repo = services.store.repoByName(org.id, params.repo);
      // A repo outside the credential's reach is reported as missing, so that its existence does not leak.
      if (!repo || !canAccessRepo(principal, repo))
        throw mesaErrors.notFound(`Repo "${params.repo}"`);
      return { principal, org, repo };
    },
    handle: async ({ req, operation, params, query, caller, body }) => {
      if (body === undefined && needsBody(operation.method))
        throw mesaErrors.badRequest(
          "request body is required; send a JSON object (`{}` for no fields)",
        );
      return handlers[operation.id]({
        ...caller,
        services,
        params,
        query,
        body,
        accept: req.headers.accept ?? "",
      } as OperationContext);
    },
  });
}
