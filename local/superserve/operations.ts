import type { HttpMethod } from "../shared/router";
import type { ControlHandler, DataHandler } from "./handlers/context";

/** Which credential an operation takes: the API key (control), a sandbox access token (data) or none (public). */
type Plane = "control" | "data" | "public";

/** How one operation is reached and guarded. */
export interface OperationSpec {
  method: HttpMethod;
  /** Path in the SDK's template form. */
  path: string;
  plane: Plane;
  /** `json`: the pipeline parses the body before the handler runs; otherwise it is left unread. */
  body?: "json";
}

/**
 * The operation table: every call `@superserve/sdk` 0.8.1 makes, one row per SDK request
 * (control plane on the SDK's `baseUrl`, data plane on its sandbox host), and the operations of
 * the vendor's OpenAPI spec the SDK does not call (`health`, the control-plane exec pair).
 * `commands.spawn`'s WebSocket (`/exec/connect`) is an upgrade, not a request; see
 * `data/exec-connect.ts`.
 */
export const OPERATIONS = {
  createTemplate: { method: "POST", path: "/templates", plane: "control", body: "json" },
  listTemplates: { method: "GET", path: "/templates", plane: "control" },
  getTemplate: { method: "GET", path: "/templates/{id}", plane: "control" },
  deleteTemplate: { method: "DELETE", path: "/templates/{id}", plane: "control" },
  rebuildTemplate: { method: "POST", path: "/templates/{id}/builds", plane: "control" },
  listBuilds: { method: "GET", path: "/templates/{id}/builds", plane: "control" },
  getBuild: { method: "GET", path: "/templates/{id}/builds/{bid}", plane: "control" },
  cancelBuild: { method: "DELETE", path: "/templates/{id}/builds/{bid}", plane: "control" },
  buildLogs: { method: "GET", path: "/templates/{id}/builds/{bid}/logs", plane: "control" },

  createSandbox: { method: "POST", path: "/sandboxes", plane: "control", body: "json" },
  listSandboxes: { method: "GET", path: "/sandboxes", plane: "control" },
  getSandbox: { method: "GET", path: "/sandboxes/{id}", plane: "control" },
  patchSandbox: { method: "PATCH", path: "/sandboxes/{id}", plane: "control", body: "json" },
  deleteSandbox: { method: "DELETE", path: "/sandboxes/{id}", plane: "control" },
  pauseSandbox: { method: "POST", path: "/sandboxes/{id}/pause", plane: "control" },
  resumeSandbox: { method: "POST", path: "/sandboxes/{id}/resume", plane: "control" },
  activateSandbox: { method: "POST", path: "/sandboxes/{id}/activate", plane: "control" },
  networkLog: { method: "GET", path: "/sandboxes/{id}/network", plane: "control" },
  attachSecret: { method: "POST", path: "/sandboxes/{id}/secrets", plane: "control", body: "json" },
  detachSecret: { method: "DELETE", path: "/sandboxes/{id}/secrets/{key}", plane: "control" },
  execCommand: { method: "POST", path: "/sandboxes/{id}/exec", plane: "control", body: "json" },
  execCommandStream: {
    method: "POST",
    path: "/sandboxes/{id}/exec/stream",
    plane: "control",
    body: "json",
  },

  createSecret: { method: "POST", path: "/secrets", plane: "control", body: "json" },
  listSecrets: { method: "GET", path: "/secrets", plane: "control" },
  getSecret: { method: "GET", path: "/secrets/{name}", plane: "control" },
  rotateSecret: { method: "PATCH", path: "/secrets/{name}", plane: "control", body: "json" },
  deleteSecret: { method: "DELETE", path: "/secrets/{name}", plane: "control" },
  secretAudit: { method: "GET", path: "/secrets/{name}/audit", plane: "control" },
  secretSandboxes: { method: "GET", path: "/secrets/{name}/sandboxes", plane: "control" },
  listProviders: { method: "GET", path: "/providers", plane: "control" },
  health: { method: "GET", path: "/health", plane: "public" },

  execSync: { method: "POST", path: "/exec", plane: "data", body: "json" },
  execStream: { method: "POST", path: "/exec/stream", plane: "data", body: "json" },
  readFile: { method: "GET", path: "/files", plane: "data" },
  writeFile: { method: "POST", path: "/files", plane: "data" },
} as const satisfies Record<string, OperationSpec>;

/** Every operation id. */
type OperationId = keyof typeof OPERATIONS;

/** The operations of one plane. */
type OperationsOf<P extends Plane> = {
  [K in OperationId]: (typeof OPERATIONS)[K]["plane"] extends P ? K : never;
}[OperationId];

/** One handler per operation, grouped by plane; a missing or misplaced one fails to compile. */
export interface Handlers {
  control: Record<OperationsOf<"control">, ControlHandler>;
  data: Record<OperationsOf<"data">, DataHandler>;
  public: Record<OperationsOf<"public">, ControlHandler>;
}
