/**
 * A fault-injecting HTTP proxy in front of a local backend, for `npm run bench:faults`: each
 * request the provider makes fails with probability `rate` — a 429 with `Retry-After: 1`, a 503, a
 * 500 (each in the vendors' `{ error: { code, message } }` envelope) or a dropped connection,
 * picked uniformly — and is otherwise passed through untouched (streams included). Requests that
 * carry a Mesa access token (`Authorization: Bearer eyJ…`: the mount daemon inside a sandbox) are
 * passed through and not counted: the benchmark measures the provider, not the `mesa` CLI.
 */
import {
  createServer,
  request,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";

type Fault = "429" | "503" | "500" | "drop";
const FAULTS: readonly Fault[] = ["429", "503", "500", "drop"];

/** What a proxy saw. */
export interface FaultCounts {
  requests: number;
  faults: number;
}

export interface FaultProxy {
  /** `http://127.0.0.1:<port>`: use it in place of the backend's origin. */
  origin: string;
  counts: FaultCounts;
  /** Fault probability from now on (0 turns faults off). */
  setRate(rate: number): void;
  close(): Promise<void>;
}

function fromMountDaemon(req: IncomingMessage): boolean {
  return /^Bearer eyJ/.test(req.headers.authorization ?? "");
}

function answerFault(res: ServerResponse, fault: Exclude<Fault, "drop">): void {
  const status = Number(fault);
  const code =
    status === 429 ? "RATE_LIMITED" : status === 503 ? "SERVICE_UNAVAILABLE" : "INTERNAL";
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (status === 429) headers["retry-after"] = "1";
  res
    .writeHead(status, headers)
    .end(JSON.stringify({ error: { code, message: `injected fault ${status}` } }));
}

/** Start a proxy to `target` (an origin such as `http://127.0.0.1:7070`) failing `rate` of the provider's requests. */
export async function startFaultProxy(
  target: string,
  rate: number,
  random: () => number = Math.random,
): Promise<FaultProxy> {
  const upstream = new URL(target);
  const counts: FaultCounts = { requests: 0, faults: 0 };
  let current = rate;
  const server: Server = createServer((req, res) => {
    if (!fromMountDaemon(req)) {
      counts.requests++;
      if (random() < current) {
        counts.faults++;
        const fault = FAULTS[Math.floor(random() * FAULTS.length)];
        req.resume();
        if (fault === "drop") req.socket.destroy();
        else answerFault(res, fault);
        return;
      }
    }
    const forward = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on("error", () => res.destroy());
    res.on("close", () => forward.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    counts,
    setRate: (next) => void (current = next),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
