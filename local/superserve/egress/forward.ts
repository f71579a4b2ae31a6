import http, {
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from "node:http";
import https from "node:https";

/** Connection-scoped headers a proxy never passes on (RFC 9110 §7.6.1, plus the proxy's own). */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authorization",
  "proxy-authenticate",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

/** `headers` without the hop-by-hop ones. */
export function endToEnd(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => !HOP_BY_HOP.has(k)));
}

/** The status logged for a request whose client went away before it was answered (as proxies log it). */
const CLIENT_CLOSED = 499;

/** Where a request is sent. */
export interface ForwardTarget {
  url: URL;
  /** Address to connect to instead of `url`'s host (an address the policy checked). */
  connectTo?: string;
  headers: OutgoingHttpHeaders;
}

/** How a forwarded request ended. */
export interface ForwardResult {
  status: number;
  upstreamStatus?: number;
  errorCode?: string;
  /** Bytes written to and read from the upstream connection. */
  bytesSent: number;
  bytesRecv: number;
}

/**
 * Sends `req` (its method and body) to `target` on a connection of its own and streams the
 * answer back into `res`; an unreachable upstream is answered 502 with the reason. Settles once
 * the answer ended, the upstream failed, or `res` closed early.
 */
export function forward(
  req: IncomingMessage,
  res: ServerResponse,
  target: ForwardTarget,
): Promise<ForwardResult> {
  const { url } = target;
  const secure = url.protocol === "https:";
  return new Promise((resolve) => {
    let upstreamStatus: number | undefined;
    const up = (secure ? https : http).request({
      hostname: target.connectTo ?? url.hostname,
      port: url.port || (secure ? 443 : 80),
      path: url.pathname + url.search,
      method: req.method,
      headers: target.headers,
      agent: false,
      setHost: target.headers.host === undefined,
      ...(secure && { servername: url.hostname }),
    });
    const done = (r: Omit<ForwardResult, "bytesSent" | "bytesRecv">) =>
      resolve({
        ...r,
        bytesSent: up.socket?.bytesWritten ?? 0,
        bytesRecv: up.socket?.bytesRead ?? 0,
      });
    up.on("response", (answer) => {
      upstreamStatus = answer.statusCode ?? 502;
      res.writeHead(upstreamStatus, endToEnd(answer.headers));
      answer.pipe(res);
      answer.on("end", () => done({ status: upstreamStatus!, upstreamStatus }));
      answer.on("error", () =>
        done({ status: upstreamStatus!, upstreamStatus, errorCode: "upstream_reset" }),
      );
    });
    up.on("error", (err: NodeJS.ErrnoException) => {
      if (upstreamStatus !== undefined) {
        res.destroy();
        done({ status: upstreamStatus, upstreamStatus, errorCode: "upstream_reset" });
        return;
      }
      if (!res.headersSent) {
        res.writeHead(502, { "content-type": "text/plain" });
        res.end(`egress: ${url.host} could not be reached (${err.code ?? err.message})\n`);
      }
      done({ status: 502, errorCode: "upstream_unreachable" });
    });
    // A client gone before the answer ended (the sandbox's connection closed, or the layer
    // closing) ends the upstream request too, so every forward settles.
    res.on("close", () => {
      if (res.writableFinished) return;
      up.destroy();
      done({
        status: upstreamStatus ?? CLIENT_CLOSED,
        ...(upstreamStatus !== undefined && { upstreamStatus }),
        errorCode: "client_closed",
      });
    });
    req.pipe(up);
  });
}
