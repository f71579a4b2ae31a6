import type { IncomingMessage } from "node:http";
import { constants as osConstants } from "node:os";
import { PassThrough, type Duplex } from "node:stream";
import { WebSocketServer, type RawData, type WebSocket } from "ws";
import type { Services } from "../context";
import { ApiError, errors } from "../../errors";
import type { RunningCommand } from "../../runtime/types";
import type { SandboxRecord } from "../../store/records";
import { execRequestFrom } from "./exec";

/** The path `commands.spawn` dials. */
export const EXEC_CONNECT_PATH = "/exec/connect";
/** The subprotocol the server must echo. */
const EXEC_SUBPROTOCOL = "superserve.exec.v1";
const CH_STDIN = 0;
const CH_STDOUT = 1;
const CH_STDERR = 2;
/** Largest frame accepted (vendor: 64 KiB); a bigger one closes the socket with 1009. */
const MAX_FRAME_BYTES = 64 * 1024;
/** After the client disconnects mid-command: SIGHUP, then SIGKILL this much later. */
const DISCONNECT_KILL_MS = 2000;

/** The subprotocols an upgrade offers; 400 unless `superserve.exec.v1` is one of them. */
export function execSubprotocols(req: IncomingMessage): string[] {
  const offered = String(req.headers["sec-websocket-protocol"] ?? "")
    .split(",")
    .map((p) => p.trim());
  if (!offered.includes(EXEC_SUBPROTOCOL))
    throw errors.badRequest(`offer the subprotocol ${EXEC_SUBPROTOCOL} in Sec-WebSocket-Protocol`);
  return offered;
}

/** WebSocket sessions of `commands.spawn`: one command per connection. */
export class ExecConnect {
  private readonly wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_FRAME_BYTES,
    handleProtocols: (offered) => (offered.has(EXEC_SUBPROTOCOL) ? EXEC_SUBPROTOCOL : false),
  });

  constructor(private readonly services: Services) {}

  /** Turns an authenticated upgrade of `/exec/connect` into a session of `sandbox`. */
  accept(req: IncomingMessage, socket: Duplex, head: Buffer, sandbox: SandboxRecord): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => this.session(ws, sandbox));
  }

  /** Ends every open session (the commands are left to the runtime's shutdown). */
  closeAll(): void {
    for (const ws of this.wss.clients) ws.terminate();
  }

  /** One session: the first text frame starts the command; later frames feed or signal it. */
  private session(ws: WebSocket, sandbox: SandboxRecord): void {
    const { sandboxes, runtime } = this.services;
    sandboxes.begin(sandbox.id);
    const stdin = new PassThrough();
    let command: RunningCommand | undefined;
    let finished = false;
    let disconnectKill: NodeJS.Timeout | undefined;
    const fail = (code: string, message: string) => {
      ws.send(JSON.stringify({ error: message, code }));
      ws.close(1008, code);
    };
    const frame = (channel: number, chunk: Buffer) => {
      if (ws.readyState === ws.OPEN) ws.send(Buffer.concat([Buffer.from([channel]), chunk]));
    };

    ws.on("message", (data: RawData, isBinary: boolean) => {
      const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      if (!command) {
        if (isBinary)
          return fail(
            "bad_request",
            "send the start frame {command, working_dir?, env?, timeout_s?} as text first",
          );
        let start;
        try {
          start = execRequestFrom(parseJson(bytes), this.services, sandbox);
        } catch (err) {
          return fail(
            "bad_request",
            err instanceof ApiError ? err.message : (err as Error).message,
          );
        }
        command = runtime.start(
          sandbox.id,
          { ...start, stdin },
          {
            onStdout: (c) => frame(CH_STDOUT, c),
            onStderr: (c) => frame(CH_STDERR, c),
          },
        );
        void command.done.then((r) => {
          finished = true;
          clearTimeout(disconnectKill);
          if (ws.readyState !== ws.OPEN) return;
          const timeout = r.timedOut && {
            error: `command timed out after ${start.timeoutSeconds} s`,
            code: "timeout",
          };
          ws.send(JSON.stringify({ finished: true, exit_code: r.exitCode, ...timeout }));
          ws.close(1000);
        });
        return;
      }
      if (isBinary) {
        if (bytes[0] === CH_STDIN && !stdin.writableEnded) stdin.write(bytes.subarray(1));
        return;
      }
      const msg = parseJsonOrUndefined(bytes);
      if (msg?.type === "stdin_close") stdin.end();
      else if (msg?.type === "signal") {
        const name = typeof msg.name === "string" ? msg.name : "SIGTERM";
        if (name in osConstants.signals) command.kill(name as NodeJS.Signals);
        else
          ws.send(
            JSON.stringify({
              error: `unknown signal ${JSON.stringify(name)}: use a name such as SIGTERM or SIGKILL`,
              code: "bad_request",
            }),
          );
      }
    });

    ws.on("close", () => {
      sandboxes.end(sandbox.id);
      stdin.end();
      if (!command || finished) return;
      command.kill("SIGHUP");
      const running = command;
      disconnectKill = setTimeout(() => running.kill("SIGKILL"), DISCONNECT_KILL_MS);
      disconnectKill.unref();
    });
    ws.on("error", () => undefined);
  }
}

function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString("utf8"));
  } catch {
    throw errors.badRequest(
      "the start frame must be JSON: {command, working_dir?, env?, timeout_s?}",
    );
  }
}

function parseJsonOrUndefined(bytes: Buffer): { type?: unknown; name?: unknown } | undefined {
  try {
    const v: unknown = JSON.parse(bytes.toString("utf8"));
    return typeof v === "object" && v !== null ? v : undefined;
  } catch {
    return undefined;
  }
}
