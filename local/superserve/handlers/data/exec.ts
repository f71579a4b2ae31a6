import { posix } from "node:path";
import { shellQuote } from "../../../shared/shell-quote";
import type { DataContext, DataHandler, Services } from "../context";
import { errors } from "../../errors";
import { SANDBOX_HOME } from "../../runtime/sandbox-env";
import type { ExecRequest } from "../../runtime/types";
import type { SandboxRecord } from "../../store/records";
import { asObject, envMap, optString, reqBoundedString, stringList } from "../validate";

/** Server default of `timeout_s` (vendor: 30 s). */
const DEFAULT_TIMEOUT_S = 30;
/** Longest timeout passed on (about 68 years: `timeout`'s seconds stay a plain integer). */
const MAX_TIMEOUT_S = 2 ** 31 - 1;
/** Each of stdout and stderr is cut at this size in a synchronous exec answer. */
const MAX_CAPTURE_BYTES = 32 * 1024 * 1024;

/**
 * The command a start body (`{command, args?, working_dir?, env?, timeout_s?}`) asks for, in
 * `sandbox`'s environment. With `args`, `command` is the program and no shell parses them (the
 * spec's `ExecRequest`). `working_dir` is relative to the home directory (empty: the home).
 * `timeout_s` falls back to `defaultTimeoutS` (unset = no limit).
 */
export function execRequestFrom(
  body: unknown,
  services: Services,
  sandbox: SandboxRecord,
  defaultTimeoutS?: number,
): ExecRequest {
  const o = asObject(body, "request body");
  const program = withoutNul("command", reqBoundedString(o, "command"));
  const args = stringList(o, "args")?.map((a, i) => withoutNul(`args[${i}]`, a));
  const command = args ? `exec ${[program, ...args].map(shellQuote).join(" ")}` : program;
  const cwd = posix.resolve(
    SANDBOX_HOME,
    withoutNul("working_dir", optString(o, "working_dir") ?? ""),
  );
  // As on the service: a `timeout_s` of 0 or less means the default; above `timeout`'s range it is capped.
  const asked = o.timeout_s;
  if (asked !== undefined && (typeof asked !== "number" || !Number.isInteger(asked))) {
    throw errors.invalid(
      "timeout_s",
      "must be an integer number of seconds (0 or less: the default)",
    );
  }
  const timeoutSeconds =
    asked === undefined || asked <= 0 ? defaultTimeoutS : Math.min(asked, MAX_TIMEOUT_S);
  return {
    command,
    cwd,
    env: services.sandboxes.commandEnv(sandbox, envMap(o, "env")),
    ...(timeoutSeconds !== undefined && { timeoutSeconds }),
  };
}

/** `value`, unless it holds a NUL (no command line can carry one). */
function withoutNul(field: string, value: string): string {
  if (value.includes("\0")) throw errors.invalid(field, "must not contain NUL characters");
  return value;
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
    body: {
      stdout: Buffer.concat(out).toString("utf8"),
      stderr: Buffer.concat(err).toString("utf8"),
      exit_code: r.exitCode,
    },
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
    {
      onStdout: (c) => send({ stdout: c.toString("utf8") }),
      onStderr: (c) => send({ stderr: c.toString("utf8") }),
    },
    abort.signal,
  );
  send({
    finished: true,
    exit_code: r.exitCode,
    ...(r.timedOut && {
      error: `command timed out after ${req.timeoutSeconds} s`,
      code: "timeout",
    }),
  });
  res.end();
};
