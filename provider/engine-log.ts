/**
 * Progress messages from the provider process to the user running `pulumi up`.
 *
 * A dynamic provider runs in its own process, where `pulumi.log` has no engine connection (it
 * falls back to the process's stdout, which the CLI hides). The engine's address is the provider
 * process's first argument, so this module opens its own Engine client and sends `Log` requests
 * tagged with the resource's URN: the messages appear under the resource in the CLI.
 * Ephemeral messages show as the resource's live status and are not kept in the summary.
 */
import { dirname } from "node:path";

/** Where progress goes; bound to one resource. */
export interface ProgressLog {
  /** Kept in the output (phases, results). */
  info(message: string): void;
  /** Shown as the resource's live status line only. */
  status(message: string): void;
  warn(message: string): void;
}

/** Sends log messages for a URN. */
export interface LogSink {
  send(severity: "info" | "warning", message: string, urn: string, ephemeral: boolean): void;
}

/** A log that drops everything (unit tests). */
export const silentLog: ProgressLog = { info() {}, status() {}, warn() {} };

/** Bind a sink to a URN. */
export function progressLog(sink: LogSink, urn: string): ProgressLog {
  return {
    info: (m) => sink.send("info", m, urn, false),
    status: (m) => sink.send("info", m, urn, true),
    warn: (m) => sink.send("warning", m, urn, false),
  };
}

/**
 * A sink talking to the engine at `address` (host:port), via the gRPC client and protobuf
 * modules that ship inside `@pulumi/pulumi`. Messages are sent in order; failures are ignored
 * (progress is best effort and must never fail an operation).
 */
function engineLogSink(address: string): LogSink {
  const pulumiDir = dirname(require.resolve("@pulumi/pulumi/package.json"));
  const grpc = require(
    require.resolve("@grpc/grpc-js", { paths: [pulumiDir] }),
  ) as typeof import("@grpc/grpc-js");
  const engrpc =
    require("@pulumi/pulumi/proto/engine_grpc_pb") as typeof import("@pulumi/pulumi/proto/engine_grpc_pb");
  const engproto =
    require("@pulumi/pulumi/proto/engine_pb") as typeof import("@pulumi/pulumi/proto/engine_pb");
  const client = new engrpc.EngineClient(address, grpc.credentials.createInsecure());
  let queue = Promise.resolve();
  return {
    send(severity, message, urn, ephemeral) {
      const req = new engproto.LogRequest();
      req.setSeverity(
        severity === "warning" ? engproto.LogSeverity.WARNING : engproto.LogSeverity.INFO,
      );
      req.setMessage(message);
      req.setUrn(urn);
      req.setEphemeral(ephemeral);
      queue = queue.then(() => new Promise<void>((resolve) => client.log(req, () => resolve())));
    },
  };
}

/** A sink writing to stderr (when no engine address is known). */
const stderrLogSink: LogSink = {
  send(severity, message) {
    process.stderr.write(`${severity}: ${message}\n`);
  },
};

/** The engine sink when `argv` carries the engine address (as the dynamic provider host's does), else stderr. */
export function logSinkFromArgv(argv: readonly string[]): LogSink {
  const address = argv
    .slice(2)
    .find((a) => /^[\w.-]+:\d+$/.test(a) || /^\[[\d:a-f]+\]:\d+$/i.test(a));
  return address ? engineLogSink(address) : stderrLogSink;
}
