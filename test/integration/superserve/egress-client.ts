/**
 * What a sandbox's side of the egress bridge does, from the test process: HTTP through a
 * sandbox's proxy on its Unix socket (CONNECT, then TLS trusting the local CA; or plain
 * absolute-form HTTP), and loopback servers that record what reached them.
 */
import { once } from "node:events";
import { readFileSync } from "node:fs";
import http, { type IncomingHttpHeaders } from "node:http";
import { connect, createServer, type AddressInfo, type Socket } from "node:net";
import tls from "node:tls";

/** An HTTP answer with its body as text. */
export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Sends `CONNECT authority` on the proxy socket; the socket is a tunnel when `status` is 200. */
export async function connectVia(
  socketPath: string,
  authority: string,
): Promise<{ status: number; socket: Socket; body: string }> {
  const socket = connect(socketPath);
  socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`);
  let buffered = Buffer.alloc(0);
  for (;;) {
    const [chunk] = (await once(socket, "data")) as [Buffer];
    buffered = Buffer.concat([buffered, chunk]);
    const end = buffered.indexOf("\r\n\r\n");
    if (end < 0) continue;
    socket.pause();
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(buffered.toString())?.[1]);
    const rest = buffered.subarray(end + 4);
    if (rest.length > 0) socket.unshift(rest);
    if (status === 200) return { status, socket, body: "" };
    let body = "";
    socket.setEncoding("utf8");
    socket.on("data", (d: string) => (body += d));
    socket.resume();
    await once(socket, "end");
    return { status, socket, body };
  }
}

/**
 * An HTTPS request through the proxy, trusting only the CA in `caFile`. `rawPath` is sent as the
 * request target as is (`url`'s path is normalised by the URL parser, as most clients do).
 */
export async function httpsVia(
  socketPath: string,
  url: string,
  opts: {
    caFile: string;
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    rawPath?: string;
  },
): Promise<Answer> {
  const u = new URL(url);
  const tunnel = await connectVia(socketPath, `${u.hostname}:${u.port || 443}`);
  if (tunnel.status !== 200) return { status: tunnel.status, headers: {}, body: tunnel.body };
  const secure = tls.connect({
    socket: tunnel.socket,
    servername: u.hostname,
    ca: readFileSync(opts.caFile),
  });
  await once(secure, "secureConnect");
  return request(
    {
      createConnection: () => secure,
      host: u.hostname,
      path: opts.rawPath ?? u.pathname + u.search,
      method: opts.method ?? "GET",
      headers: opts.headers ?? {},
    },
    opts.body,
  );
}

/** A plain-HTTP request through the proxy in absolute form (as apt sends it). */
export function httpVia(
  socketPath: string,
  url: string,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return request({ socketPath, path: url, headers: { host: new URL(url).host, ...headers } });
}

function request(options: http.RequestOptions, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    // A given connection is used as is; otherwise a fresh one (no pooling between requests).
    const req = http.request(
      options.createConnection ? options : { agent: false, ...options },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (text += d));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** A loopback HTTP server answering 200 and recording every request's headers. */
export async function recordingServer(): Promise<{
  url: string;
  seen: { method: string; url: string; headers: IncomingHttpHeaders }[];
  close(): Promise<void>;
}> {
  const seen: { method: string; url: string; headers: IncomingHttpHeaders }[] = [];
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers });
    req.resume();
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ ok: true }));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** A loopback TCP server echoing every byte back. */
export async function echoServer(): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer((s) => s.pipe(s));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** A loopback HTTP server that takes requests and never answers; counts their connections' ends. */
export async function silentServer(): Promise<{
  url: string;
  seen: string[];
  closed: () => number;
  close(): Promise<void>;
}> {
  const seen: string[] = [];
  let closed = 0;
  const server = http.createServer((req) => void seen.push(req.url ?? ""));
  server.on("connection", (s: Socket) => s.on("close", () => void closed++));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    closed: () => closed,
    close: () =>
      new Promise((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
