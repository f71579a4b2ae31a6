import { mkdirSync, rmSync, statSync } from "node:fs";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import { connect, isIP, type Socket } from "node:net";
import { dirname } from "node:path";
import { performance } from "node:perf_hooks";
import { TLSSocket } from "node:tls";
import type { Clock } from "../../shared/clock";
import type { NetworkEventRecord } from "../store/records";
import type { SuperserveStore } from "../store/store";
import { endToEnd, forward, type ForwardResult } from "./forward";
import { refusedPath } from "./forward-path";
import type { LocalCa } from "./local-ca";
import { MESA_INSTALL_SCRIPT } from "./mesa-installer";
import { normalizeHost, type Decision, type EgressPolicy } from "./policy";
import { injectSecrets, isSecretHost, type BoundSecret } from "./secret-injection";
import { forwardUrl, type ServedHosts, type ServedRoute } from "./served-hosts";

/** Resolves a host name to the address to connect to. */
export type Resolver = (host: string) => Promise<string>;

/** What one sandbox's proxy needs; `policy` and `secrets` are read at every connection. */
export interface SandboxProxyDeps {
  sandboxId: string;
  socketPath: string;
  policy: () => EgressPolicy;
  secrets: () => BoundSecret[];
  ca: LocalCa;
  served: ServedHosts;
  store: SuperserveStore;
  clock: Clock;
  resolve: Resolver;
}

/** A destination after the policy: where it goes and what was decided. */
interface Target {
  host: string;
  port: number;
  /** True when `host` was an IP literal. */
  literal: boolean;
  route?: ServedRoute;
  /** The address connected to (unset for hosts the layer serves). */
  ip?: string;
  decision: Decision;
  /** Set when the destination was allowed but cannot be reached (`dns_failed`). */
  failure?: string;
}

type ConnectionFields = Omit<NetworkEventRecord, "id" | "sandbox_id" | "kind" | "ts">;

const statusLine = (code: number, text: string, body: string) =>
  `HTTP/1.1 ${code} ${text}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;

/**
 * One sandbox's HTTP proxy on its Unix socket: CONNECT host:port and absolute-form plain HTTP.
 * Every destination is checked against the sandbox's policy and logged. TLS is terminated (with
 * a leaf of the local CA) only for the hosts the layer serves (the Mesa installer and API, test
 * upstreams) and the hosts of the sandbox's secrets, whose placeholders it swaps for the real
 * values; everything else is a byte tunnel it never reads.
 */
export class SandboxProxy {
  private readonly server = http.createServer();
  /** Serves the requests inside terminated TLS sessions (fed sockets, never listening). */
  private readonly tlsServer = http.createServer();
  private readonly targets = new WeakMap<Socket, Target>();
  private readonly open = new Set<Socket>();
  /**
   * Work that still writes to the network log: handlers in progress and connections whose last
   * row update (their byte counts) is yet to come. {@link close} waits for all of it, so no row
   * is written after the layer closed (the store closes next).
   */
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly deps: SandboxProxyDeps) {
    this.server.on("connection", (s: Socket) => this.track(s));
    this.server.on("connect", (req: IncomingMessage, socket: Socket, head: Buffer) => {
      this.work(this.onConnect(req, socket, head).catch(() => socket.destroy()));
    });
    this.server.on("request", (req: IncomingMessage, res: ServerResponse) => {
      this.work(this.onPlainRequest(req, res).catch(() => res.destroy()));
    });
    this.tlsServer.on("request", (req: IncomingMessage, res: ServerResponse) => {
      const target = this.targets.get(req.socket);
      if (!target) return void res.destroy();
      this.work(this.serve(req, res, target, "https", req.url ?? "/").catch(() => res.destroy()));
    });
  }

  /** Listens on the socket path (a stale socket of an earlier run is replaced). */
  async listen(): Promise<void> {
    const path = this.deps.socketPath;
    const dir = dirname(path);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = statSync(dir);
    if (st.uid !== process.getuid?.() || (st.mode & 0o077) !== 0)
      throw new Error(
        `the egress socket directory ${dir} must belong to this user with mode 0700 (another user could reach the sandboxes' proxies); remove it and start again`,
      );
    rmSync(path, { force: true });
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(path, () => {
        this.server.off("error", reject);
        resolve();
      });
    });
  }

  /**
   * Stops listening, ends every connection, waits until their last network-log rows are written
   * (nothing is written after it resolves), and removes the socket.
   */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.open) s.destroy();
    await closed;
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
    rmSync(this.deps.socketPath, { force: true });
  }

  private track(s: Socket): void {
    this.open.add(s);
    s.on("close", () => this.open.delete(s));
  }

  /** Tracks `p` in {@link pending} until it settles. */
  private work(p: Promise<unknown>): void {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  /** Tracks the work that ends with `emitter`'s `close` event (after its handlers ran). */
  private untilClose(emitter: Socket): void {
    this.work(new Promise<void>((resolve) => emitter.once("close", () => resolve())));
  }

  private now(): string {
    return new Date(this.deps.clock.now()).toISOString();
  }

  private logConnection(t: Target, fields: ConnectionFields): number {
    return this.deps.store.addNetworkEvent({
      sandbox_id: this.deps.sandboxId,
      kind: "connection",
      ts: this.now(),
      ...(!t.literal && { host: t.host }),
      ...(t.ip !== undefined && { dst_ip: t.ip }),
      dst_port: t.port,
      ...(t.decision.matchRule !== undefined && { match_rule: t.decision.matchRule }),
      ...fields,
    });
  }

  /** Applies the policy to `host:port`, resolving the name unless the layer serves it. */
  private async target(rawHost: string, port: number): Promise<Target> {
    const host = normalizeHost(rawHost.replace(/^\[(.*)\]$/, "$1"));
    const literal = isIP(host) !== 0;
    const policy = this.deps.policy();
    const route = literal ? undefined : this.deps.served.lookup(host);
    if (route) return { host, port, literal, route, decision: policy.decide(host, undefined) };
    let ip = literal ? host : undefined;
    if (!literal) ip = await this.deps.resolve(host).catch(() => undefined);
    const decision = policy.decide(literal ? undefined : host, ip);
    const failure = ip === undefined && decision.verdict === "allowed" ? "dns_failed" : undefined;
    return {
      host,
      port,
      literal,
      ...(ip !== undefined && { ip }),
      decision,
      ...(failure && { failure }),
    };
  }

  /** Answers a refused or unreachable destination (and logs it); true when it did. */
  private refuse(t: Target, reply: (code: number, text: string, body: string) => void): boolean {
    const where = `${t.host}:${t.port}`;
    if (t.decision.verdict === "blocked") {
      this.logConnection(t, { verdict: "blocked" });
      reply(
        403,
        "Forbidden",
        `egress to ${where} is blocked by the sandbox's network rule ${t.decision.matchRule}\n`,
      );
      return true;
    }
    if (t.failure) {
      this.logConnection(t, { verdict: "failed", error_code: t.failure });
      reply(502, "Bad Gateway", `egress to ${where} failed: the name does not resolve\n`);
      return true;
    }
    return false;
  }

  private async onConnect(req: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
    socket.on("error", () => undefined);
    const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(req.url ?? "");
    if (!m) {
      socket.end(statusLine(400, "Bad Request", "CONNECT needs host:port\n"));
      return;
    }
    const t = await this.target(m[1], Number(m[2]));
    if (socket.destroyed) return;
    if (this.refuse(t, (c, text, body) => socket.end(statusLine(c, text, body)))) return;
    if (t.route?.kind === "tunnel")
      return this.tunnel(socket, head, { ...t, ip: t.route.ip }, t.route.port);
    const intercept =
      t.route !== undefined || this.deps.secrets().some((b) => isSecretHost(b.secret, t.host));
    if (intercept) await this.terminate(socket, head, t);
    else this.tunnel(socket, head, t, t.port);
  }

  /** Terminates TLS toward a served or secret host and hands the session to {@link tlsServer}. */
  private async terminate(socket: Socket, head: Buffer, t: Target): Promise<void> {
    const secureContext = await this.deps.ca.secureContext(t.host);
    if (socket.destroyed) return;
    const id = this.logConnection(t, { verdict: "allowed" });
    socket.on("close", () =>
      this.deps.store.updateNetworkEvent(id, {
        bytes_sent: socket.bytesRead,
        bytes_recv: socket.bytesWritten,
      }),
    );
    this.untilClose(socket);
    socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
    if (head.length > 0) socket.unshift(head);
    const tls = new TLSSocket(socket, {
      isServer: true,
      secureContext,
      ALPNProtocols: ["http/1.1"],
    });
    tls.on("error", () => socket.destroy());
    this.targets.set(tls, t);
    this.tlsServer.emit("connection", tls);
  }

  /** A byte tunnel to an allowed destination the layer does not read. */
  private tunnel(socket: Socket, head: Buffer, t: Target, port: number): void {
    const upstream = connect({ host: t.ip!, port });
    this.untilClose(upstream);
    let id: number | undefined;
    upstream.once("connect", () => {
      id = this.logConnection(t, { verdict: "allowed" });
      socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length > 0) upstream.write(head);
      socket.pipe(upstream).pipe(socket);
    });
    upstream.on("error", (err: NodeJS.ErrnoException) => {
      if (id !== undefined) return void socket.destroy();
      this.logConnection(t, {
        verdict: "failed",
        error_code: (err.code ?? "connect_failed").toLowerCase(),
      });
      socket.end(
        statusLine(
          502,
          "Bad Gateway",
          `egress to ${t.host}:${t.port} failed (${err.code ?? err.message})\n`,
        ),
      );
    });
    upstream.on("close", () => {
      socket.destroy();
      if (id !== undefined)
        this.deps.store.updateNetworkEvent(id, {
          bytes_sent: upstream.bytesWritten,
          bytes_recv: upstream.bytesRead,
        });
    });
    socket.on("close", () => upstream.destroy());
  }

  /** An absolute-form plain-HTTP request (`GET http://host/path`), as apt sends through http_proxy. */
  private async onPlainRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: URL | undefined;
    try {
      url = new URL(req.url ?? "");
    } catch {
      url = undefined;
    }
    if (!url || url.protocol !== "http:") {
      res.writeHead(400, { "content-type": "text/plain" });
      res.end(
        "this is the sandbox's HTTP proxy: send absolute-form http:// requests, or CONNECT host:port for anything else\n",
      );
      return;
    }
    const t = await this.target(url.hostname, Number(url.port || 80));
    const reply = (code: number, _text: string, body: string) => {
      res.writeHead(code, { "content-type": "text/plain" });
      res.end(body);
    };
    if (this.refuse(t, reply)) return;
    const id = this.logConnection(t, { verdict: "allowed" });
    // A path forwarded to a local backend is checked as sent; elsewhere the parsed one goes on.
    const path =
      t.route?.kind === "forward" ? originForm(req.url ?? "") : url.pathname + url.search;
    const bytes = await this.serve(req, res, t, "http", path);
    this.deps.store.updateNetworkEvent(id, {
      bytes_sent: bytes.bytesSent,
      bytes_recv: bytes.bytesRecv,
    });
  }

  /**
   * Answers one request the layer reads (inside a terminated TLS session, or plain HTTP): the
   * installer, a forward to the local Mesa or a test upstream, or a forward to the real host —
   * with the sandbox's placeholders swapped toward the hosts of their secrets. Logs a request row.
   */
  private async serve(
    req: IncomingMessage,
    res: ServerResponse,
    t: Target,
    scheme: "http" | "https",
    path: string,
  ): Promise<ForwardResult> {
    const started = performance.now();
    const { headers, secretId } = injectSecrets(t.host, endToEnd(req.headers), this.deps.secrets());
    let result: ForwardResult;
    const route = t.route;
    const refused = route?.kind === "forward" ? refusedPath(path, route.strip) : undefined;
    if (refused !== undefined) {
      req.resume();
      res.writeHead(403, { "content-type": "text/plain" });
      res.end(
        `egress: ${t.host} forwards only the vendor's API paths in normal form to the local backend; not ${JSON.stringify(path.split("?")[0])}: ${refused}\n`,
      );
      result = { status: 403, errorCode: "path_refused", bytesSent: 0, bytesRecv: 0 };
    } else if (route?.kind === "installer") result = this.installer(req, res, path);
    else if (route?.kind === "tunnel")
      result = await forward(req, res, {
        url: new URL(path, `http://${route.ip}:${route.port}`),
        headers,
      });
    else if (route?.kind === "forward" && !route.base) {
      res.writeHead(502, { "content-type": "text/plain" });
      res.end(
        `${t.host} is served by the local Mesa, which this local Superserve was not started with: start both with \`npm run local -- start\`\n`,
      );
      result = { status: 502, errorCode: "mesa_unavailable", bytesSent: 0, bytesRecv: 0 };
    } else if (route?.kind === "forward") {
      const url = forwardUrl(route.base!, route.strip, path);
      result = await forward(req, res, {
        url,
        headers: route.rewriteHost ? { ...headers, host: url.host } : headers,
      });
    } else {
      const url = new URL(
        path,
        `${scheme}://${t.literal && isIP(t.host) === 6 ? `[${t.host}]` : t.host}:${t.port}`,
      );
      result = await forward(req, res, { url, connectTo: t.ip!, headers });
    }
    this.deps.store.addNetworkEvent({
      sandbox_id: this.deps.sandboxId,
      kind: "request",
      ts: this.now(),
      ...(!t.literal && { host: t.host }),
      method: req.method ?? "GET",
      path: path.split("?")[0],
      status: result.status,
      ...(result.upstreamStatus !== undefined && { upstream_status: result.upstreamStatus }),
      latency_ms: Math.round(performance.now() - started),
      ...(refused !== undefined && { verdict: "blocked" as const }),
      ...(secretId && { secret_id: secretId }),
      ...(result.errorCode && { error_code: result.errorCode }),
    });
    return result;
  }

  private installer(req: IncomingMessage, res: ServerResponse, path: string): ForwardResult {
    req.resume();
    const found =
      path.split("?")[0] === "/install.sh" && (req.method === "GET" || req.method === "HEAD");
    const body = found
      ? MESA_INSTALL_SCRIPT
      : "not found: the local mesa.dev serves GET /install.sh\n";
    res.writeHead(found ? 200 : 404, {
      "content-type": found ? "text/x-shellscript" : "text/plain",
      "content-length": Buffer.byteLength(body),
    });
    res.end(req.method === "HEAD" ? undefined : body);
    return { status: found ? 200 : 404, bytesSent: 0, bytesRecv: Buffer.byteLength(body) };
  }
}

/**
 * The path and query of an absolute-form request target (`http://host/a/../b?q`) exactly as the
 * sandbox sent them (`/a/../b?q`), not normalised by a URL parser: what the path check must see.
 */
function originForm(target: string): string {
  const rest = target.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#\\]*/i, "");
  return rest.startsWith("/") ? rest : `/${rest}`;
}
