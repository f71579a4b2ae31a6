import type { IncomingMessage, ServerResponse } from "node:http";
import type { Reply } from "../../shared/request-pipeline";
import type { BuildLogs } from "../templates/build-log";
import type { TemplateBuilder } from "../templates/builder";
import type { Clock } from "../../shared/clock";
import type { IdGenerator } from "../store/ids";
import type { SandboxRuntime } from "../runtime/types";
import type { SandboxManager } from "../sandboxes/sandbox-manager";
import type { SandboxRecord } from "../store/records";
import type { SuperserveStore } from "../store/store";

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

/** A control-plane request after routing, the API key check and body parsing. */
export interface ControlContext {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
  services: Services;
  /** The parsed JSON body for operations that take one (`undefined` when empty or not read). */
  body: unknown;
}

/** A data-plane request: as on the control plane, plus the sandbox its access token opened. */
export interface DataContext extends ControlContext {
  /** The authenticated, running sandbox. */
  sandbox: SandboxRecord;
}

/** One operation's implementation, given the context of its plane; the pipeline writes its reply. */
type Handler<C extends ControlContext> = (ctx: C) => Promise<Reply | void>;
export type ControlHandler = Handler<ControlContext>;
export type DataHandler = Handler<DataContext>;
