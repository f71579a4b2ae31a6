import { STATUS_CODES, type IncomingMessage, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { readJsonBody, RequestBodyError } from "../shared/body";
import type { FaultInjector } from "../shared/faults";
import {
  sendJson,
  splitUrl,
  type RequestHandler,
  type UpgradeHandler,
} from "../shared/http-server";
import { RouteTable } from "../shared/router";
import type { AccessTokenAuthenticator, ApiKeyAuthenticator } from "./auth";
import type { ControlHandler, DataHandler, Reply, Services } from "./handlers/context";
import { EXEC_CONNECT_PATH, execSubprotocols, type ExecConnect } from "./handlers/data/exec-connect";
import { errors, toApiError, type ApiError } from "./errors";
import { handlers } from "./handlers";
import { whileInUse } from "./sandboxes/in-use";
import { OPERATIONS, type OperationSpec } from "./operations";
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

type Route = { spec: OperationSpec } & (
  { plane: "control" | "public"; handler: ControlHandler } | { plane: "data"; handler: DataHandler }
);

function buildRoutes(): RouteTable<Route> {
  const specs: Readonly<Record<string, OperationSpec>> = OPERATIONS;
  const table = new RouteTable<Route>();
  const add = (route: Route) => table.add(route.spec.method, route.spec.path, route);
  for (const [id, handler] of Object.entries(handlers.control))
    add({ spec: specs[id], plane: "control", handler });
  for (const [id, handler] of Object.entries(handlers.data))
    add({ spec: specs[id], plane: "data", handler });
  for (const [id, handler] of Object.entries(handlers.public))
    add({ spec: specs[id], plane: "public", handler });
  return table;
}

/**
 * The request pipeline, in this fixed order:
 * faults → route → auth (API key on the control plane, access token on the data plane, none on
 * the public operations) →
 * JSON body → handler → serialize, and any error → the vendor's error envelope.
 * WebSocket upgrades (`commands.spawn`): route → subprotocol → access token → session, and any
 * error → the envelope as the upgrade's HTTP answer.
 */
export function createSuperserveHandler(deps: SuperserveServerDeps): {
  request: RequestHandler;
  upgrade: UpgradeHandler;
} {
  const routes = buildRoutes();
  const { services, apiKeys, accessTokens } = deps;

  async function dispatch(
    req: IncomingMessage,
    res: ServerResponse,
    rawPath: string,
    query: URLSearchParams,
  ): Promise<void> {
    const match = routes.match(req.method ?? "GET", rawPath);
    if (!match) {
      req.resume();
      const allowed = routes.allowedMethods(rawPath);
      throw allowed.length
        ? errors.methodNotAllowed(req.method, rawPath, allowed)
        : errors.notFound("route", `${req.method} ${rawPath}`);
    }
    const { route, params } = match;
    const base = { req, res, params, query, services };
    if (route.plane !== "data") {
      if (route.plane === "control") apiKeys.authenticate(req);
      writeReply(res, await route.handler({ ...base, body: await jsonBody(req, route.spec) }));
      return;
    }
    const sandbox = accessTokens.authenticate(req);
    const { handler } = route;
    writeReply(
      res,
      await whileInUse(services.sandboxes, sandbox.id, async () =>
        handler({ ...base, sandbox, body: await jsonBody(req, route.spec) }),
      ),
    );
  }

  const request: RequestHandler = async (req, res) => {
    const { rawPath, query } = splitUrl(req.url);
    if (await deps.faults.intercept(req, res, rawPath)) return;
    try {
      await dispatch(req, res, rawPath, query);
    } catch (err) {
      const error = toApiError(err);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      req.resume();
      sendJson(res, error.status, error.body(), error.headers);
    }
  };

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

/** The parsed body of an operation that takes JSON; 413 too large, 400 not JSON. */
async function jsonBody(req: IncomingMessage, spec: OperationSpec): Promise<unknown> {
  if (spec.body !== "json") return undefined;
  try {
    return await readJsonBody(req, MAX_JSON_BYTES);
  } catch (err) {
    if (err instanceof RequestBodyError)
      throw err.status === 413 ? errors.tooLarge(err.message) : errors.badRequest(err.message);
    throw err;
  }
}

/** Writes a handler's reply (nothing when the handler wrote the response itself). */
function writeReply(res: ServerResponse, reply: Reply | void): void {
  if (!reply) return;
  if (reply.body === undefined) {
    res.writeHead(reply.status);
    res.end();
  } else sendJson(res, reply.status, reply.body);
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
