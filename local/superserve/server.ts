import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import type { FaultInjector } from "../shared/faults";
import { splitUrl, type RequestHandler, type UpgradeHandler } from "../shared/http-server";
import { requestPipeline, type PipelineErrors } from "../shared/request-pipeline";
import type { AccessTokenAuthenticator, ApiKeyAuthenticator } from "./auth";
import { errors, toApiError, type ApiError } from "./errors";
import { handlers } from "./handlers";
import type { ControlHandler, DataHandler, Services } from "./handlers/context";
import {
  EXEC_CONNECT_PATH,
  execSubprotocols,
  type ExecConnect,
} from "./handlers/data/exec-connect";
import { OPERATIONS, type OperationSpec } from "./operations";
import { whileInUse } from "./sandboxes/in-use";
import type { SandboxRecord } from "./store/records";

/** Everything the request pipeline needs. */
interface SuperserveServerDeps {
  services: Services;
  /** The control plane's authenticator. */
  apiKeys: ApiKeyAuthenticator;
  /** The data plane's authenticator. */
  accessTokens: AccessTokenAuthenticator;
  faults: FaultInjector;
  /** The `commands.spawn` sessions an authenticated upgrade is handed to. */
  execConnect: ExecConnect;
}

/** Largest accepted JSON body, in bytes (413 above). */
const MAX_JSON_BYTES = 1024 * 1024;

/** An operation with its handler, as the shared pipeline routes it. */
type Route = OperationSpec &
  (
    | { plane: "control" | "public"; handler: ControlHandler }
    | { plane: "data"; handler: DataHandler }
  );

/** Every operation of the table with its handler; the table says which plane it is on. */
function routes(): Route[] {
  const specs: Readonly<Record<string, OperationSpec>> = OPERATIONS;
  const byId: Record<string, ControlHandler | DataHandler> = {
    ...handlers.control,
    ...handlers.public,
    ...handlers.data,
  };
  return Object.entries(byId).map(([id, handler]) => ({ ...specs[id], handler }) as Route);
}

/** The pipeline's errors in the vendor's envelope. */
const pipelineErrors: PipelineErrors = {
  notFound: (method, rawPath) => errors.notFound("route", `${method} ${rawPath}`),
  methodNotAllowed: errors.methodNotAllowed,
  badBody: (err) =>
    err.status === 413 ? errors.tooLarge(err.message) : errors.badRequest(err.message),
  toWire: (err) => {
    const error = toApiError(err);
    return { status: error.status, body: error.body(), headers: error.headers };
  },
};

/**
 * Superserve's request pipeline: the shared one (faults → route → 405/404 → auth → JSON body →
 * handler → reply → error), where auth is the API key on the control plane, the sandbox's access
 * token on the data plane (whose handler then runs with the sandbox counted as in use), none on
 * the public operations.
 * WebSocket upgrades (`commands.spawn`): route → subprotocol → access token → session, and any
 * error → the envelope as the upgrade's HTTP answer.
 */
export function createSuperserveHandler(deps: SuperserveServerDeps): {
  request: RequestHandler;
  upgrade: UpgradeHandler;
} {
  const { services, apiKeys, accessTokens } = deps;
  const request = requestPipeline({
    operations: routes(),
    faults: deps.faults,
    errors: pipelineErrors,
    maxBodyBytes: MAX_JSON_BYTES,
    authenticate: async (req, route): Promise<SandboxRecord | undefined> => {
      if (route.plane === "data") return accessTokens.authenticate(req);
      if (route.plane === "control") apiKeys.authenticate(req);
      return undefined;
    },
    handle: async ({ operation: route, caller: sandbox, ...base }) => {
      const ctx = { ...base, services };
      if (route.plane !== "data") return route.handler(ctx);
      const { handler } = route;
      const s = sandbox as SandboxRecord; // the data plane's authenticator returned it
      return whileInUse(services.sandboxes, s.id, () => handler({ ...ctx, sandbox: s }));
    },
  });

  const upgrade: UpgradeHandler = (req, socket, head) => {
    socket.on("error", () => undefined);
    let sandbox: SandboxRecord;
    try {
      const { rawPath } = splitUrl(req.url);
      if (rawPath !== EXEC_CONNECT_PATH) throw errors.notFound("route", `GET ${rawPath}`);
      const subprotocols = execSubprotocols(req);
      sandbox = accessTokens.authenticateUpgrade(req, subprotocols);
    } catch (err) {
      refuse(socket, toApiError(err));
      return;
    }
    deps.execConnect.accept(req, socket, head, sandbox);
  };

  return { request, upgrade };
}

/** Answers a refused upgrade with `err` in the vendor's envelope and closes the socket. */
function refuse(socket: Duplex, err: ApiError): void {
  const body = JSON.stringify(err.body());
  socket.end(
    `HTTP/1.1 ${err.status} ${STATUS_CODES[err.status] ?? ""}\r\n` +
      "content-type: application/json\r\n" +
      `content-length: ${Buffer.byteLength(body)}\r\n` +
      "connection: close\r\n\r\n" +
      body,
  );
}
