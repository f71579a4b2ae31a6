import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";

/** Handles one request; must end the response (or destroy the socket). */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/** Handles an HTTP upgrade (WebSocket); owns the socket from then on. */
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

/** A started HTTP listener. */
export interface HttpListener {
  /** `http://host:port` with the port actually bound. */
  readonly origin: string;
  readonly port: number;
  /** Stops accepting, closes open (keep-alive) connections and resolves when closed. */
  close(): Promise<void>;
}

/**
 * Listens on `host:port` (port 0 picks a free port) and runs `handler` per request. A handler
 * that throws gets a bare 500 so that a bug never hangs the client. Upgrades (WebSocket) go to
 * `opts.onUpgrade` when given.
 */
export async function listenHttp(
  handler: RequestHandler,
  opts: { host: string; port: number; onUpgrade?: UpgradeHandler },
): Promise<HttpListener> {
  const server = createServer((req, res) => {
    handler(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end("internal error");
    });
  });
  if (opts.onUpgrade) server.on("upgrade", opts.onUpgrade);
  await new Promise<void>((ok, fail) => {
    server.once("error", fail);
    server.listen(opts.port, opts.host, () => {
      server.off("error", fail);
      ok();
    });
  });
  const { port } = server.address() as AddressInfo;
  const hostForUrl = opts.host.includes(":") ? `[${opts.host}]` : opts.host;
  return {
    origin: `http://${hostForUrl}:${port}`,
    port,
    close: () =>
      new Promise<void>((ok, fail) => {
        server.close((err) => (err ? fail(err) : ok()));
        server.closeAllConnections();
      }),
  };
}

/** Splits a request URL into its raw (still percent-encoded) path and its query parameters. */
export function splitUrl(url: string | undefined): { rawPath: string; query: URLSearchParams } {
  const target = url ?? "/";
  const q = target.indexOf("?");
  return q < 0
    ? { rawPath: target, query: new URLSearchParams() }
    : { rawPath: target.slice(0, q), query: new URLSearchParams(target.slice(q + 1)) };
}

/** Writes `body` as `application/json` with `status` and any extra headers. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

/** Reads the bearer credential of a request, or undefined when there is none. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1] : undefined;
}
