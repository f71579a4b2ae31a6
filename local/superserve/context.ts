import type { IncomingMessage, ServerResponse } from "node:http";
import type { BuildLogs } from "./builds/build-log";
import type { TemplateBuilder } from "./builds/builder";
import type { Clock } from "./clock";
import type { IdGenerator } from "./ids";
import type { SandboxRuntime } from "./runtime/types";
import type { SandboxManager } from "./sandboxes";
import type { SandboxRecord } from "./store/records";
import type { SuperserveStore } from "./store/store";

/** Everything handlers use. */
export interface Services {
  store: SuperserveStore;
  sandboxes: SandboxManager;
  builder: TemplateBuilder;
  logs: BuildLogs;
  runtime: SandboxRuntime;
  clock: Clock;
  ids: IdGenerator;
  /** Where template layers live. */
  layersDir: string;
}

/** One request after routing and authentication. */
export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
  services: Services;
  /** The parsed JSON body (`undefined` when empty). */
  json(): Promise<unknown>;
  /** Data plane only: the authenticated, running sandbox. */
  sandbox: SandboxRecord;
}

/** A JSON answer; `body` undefined means 204. A handler returning nothing wrote the response itself. */
export interface Reply {
  status: number;
  body?: unknown;
}

export type Handler = (ctx: RequestContext) => Promise<Reply | void>;

/** Which credential a route takes. */
export type Plane = "control" | "data";
