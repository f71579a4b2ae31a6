import { posix } from "node:path";
import { shellQuote } from "../../shared/shell-quote";
import type { DataContext, DataHandler, Services } from "../context";
import { SANDBOX_HOME } from "../runtime/sandbox-env";
import type { ExecRequest } from "../runtime/types";
import type { SandboxRecord } from "../store/records";
import { asObject, envMap, optInt, optString, reqString, stringList } from "../validate";

/** Server default of `timeout_s` (vendor: 30 s). */
const DEFAULT_TIMEOUT_S = 30;
/** Each of stdout and stderr is cut at this size in a synchronous exec answer. */
const MAX_CAPTURE_BYTES = 32 * 1024 * 1024;

/**
 * The command a start body (`{command, args?, working_dir?, env?, timeout_s?}`) asks for, in
 * `sandbox`'s environment. With `args`, `command` is the program and no shell parses them (the
 * spec's `ExecRequest`). `working_dir` is relative to the home directory (empty: the home).
 * `timeout_s` falls back to `defaultTimeoutS` (unset = no limit).
 */
export function execRequestFrom(body: unknown, services: Services, sandbox: SandboxRecord, defaultTimeoutS?: number): ExecRequest {
  const o = asObject(body, "request body");
  const program = reqString(o, "command");
  const args = stringList(o, "args");
  const command = args ? `exec ${[program, ...args].map(shellQuote).join(" ")}` : program;
  const cwd = posix.resolve(SANDBOX_HOME, optString(o, "working_dir") ?? "");
  const timeoutSeconds = optInt(o, "timeout_s", 1, 86_400) ?? defaultTimeoutS;
  return {
    command,
    cwd,
    env: services.sandboxes.commandEnv(sandbox, envMap(o, "env")),
    ...(timeoutSeconds !== undefined && { timeoutSeconds }),
  };
}

function parseExec(ctx: DataContext): ExecRequest {
  return execRequestFrom(ctx.body, ctx.services, ctx.sandbox, DEFAULT_TIMEOUT_S);
}

/** `POST /exec`: runs to completion and answers `{stdout, stderr, exit_code}`. */
export const execSync: DataHandler = async (ctx) => {
  const req = parseExec(ctx);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let outSize = 0;
  let errSize = 0;
  const abort = new AbortController();
  ctx.res.once("close", () => !ctx.res.writableFinished && abort.abort());
  const r = await ctx.services.runtime.exec(
    ctx.sandbox.id,
    req,
    {
      onStdout: (c) => outSize < MAX_CAPTURE_BYTES && (out.push(c), (outSize += c.length)),
      onStderr: (c) => errSize < MAX_CAPTURE_BYTES && (err.push(c), (errSize += c.length)),
    },
    abort.signal,
  );
  return {
    status: 200,
    body: { stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8"), exit_code: r.exitCode },
  };
};

/** `POST /exec/stream`: SSE, one single-line JSON event per chunk, closed after `finished`. */
export const execStream: DataHandler = async (ctx) => {
  const req = parseExec(ctx);
  const { res } = ctx;
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  const now = () => new Date(ctx.services.clock.now()).toISOString();
  const send = (e: object) => res.write(`data: ${JSON.stringify({ timestamp: now(), ...e })}\n\n`);
  const abort = new AbortController();
  res.once("close", () => !res.writableFinished && abort.abort());
  const r = await ctx.services.runtime.exec(
    ctx.sandbox.id,
    req,
    { onStdout: (c) => send({ stdout: c.toString("utf8") }), onStderr: (c) => send({ stderr: c.toString("utf8") }) },
    abort.signal,
  );
  send({ finished: true, exit_code: r.exitCode, ...(r.timedOut && { error: `command timed out after ${req.timeoutSeconds} s`, code: "timeout" }) });
  res.end();
};
