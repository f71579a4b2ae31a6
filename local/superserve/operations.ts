import type { Handler, Plane } from "./context";
import * as sandboxes from "./control/sandboxes";
import * as secrets from "./control/secrets";
import * as templates from "./control/templates";
import * as exec from "./data/exec";
import * as files from "./data/files";
import type { HttpMethod } from "../shared";

/** Every operation of the SDK's contract: method, path, credential and handler. */
export const OPERATIONS: [HttpMethod, string, Plane, Handler][] = [
  ["POST", "/templates", "control", templates.createTemplate],
  ["GET", "/templates", "control", templates.listTemplates],
  ["GET", "/templates/{id}", "control", templates.getTemplate],
  ["DELETE", "/templates/{id}", "control", templates.deleteTemplate],
  ["POST", "/templates/{id}/builds", "control", templates.rebuildTemplate],
  ["GET", "/templates/{id}/builds", "control", templates.listBuilds],
  ["GET", "/templates/{id}/builds/{bid}", "control", templates.getBuild],
  ["DELETE", "/templates/{id}/builds/{bid}", "control", templates.cancelBuild],
  ["GET", "/templates/{id}/builds/{bid}/logs", "control", templates.buildLogs],

  ["POST", "/sandboxes", "control", sandboxes.createSandbox],
  ["GET", "/sandboxes", "control", sandboxes.listSandboxes],
  ["GET", "/sandboxes/{id}", "control", sandboxes.getSandbox],
  ["PATCH", "/sandboxes/{id}", "control", sandboxes.patchSandbox],
  ["DELETE", "/sandboxes/{id}", "control", sandboxes.deleteSandbox],
  ["POST", "/sandboxes/{id}/pause", "control", sandboxes.pauseSandbox],
  ["POST", "/sandboxes/{id}/resume", "control", sandboxes.resumeSandbox],
  ["POST", "/sandboxes/{id}/activate", "control", sandboxes.activateSandbox],
  ["GET", "/sandboxes/{id}/network", "control", sandboxes.networkLog],
  ["POST", "/sandboxes/{id}/secrets", "control", sandboxes.attachSecret],
  ["DELETE", "/sandboxes/{id}/secrets/{key}", "control", sandboxes.detachSecret],

  ["POST", "/secrets", "control", secrets.createSecret],
  ["GET", "/secrets", "control", secrets.listSecrets],
  ["GET", "/secrets/{name}", "control", secrets.getSecret],
  ["PATCH", "/secrets/{name}", "control", secrets.rotateSecret],
  ["DELETE", "/secrets/{name}", "control", secrets.deleteSecret],
  ["GET", "/secrets/{name}/audit", "control", secrets.secretAudit],
  ["GET", "/secrets/{name}/sandboxes", "control", secrets.secretSandboxes],
  ["GET", "/providers", "control", secrets.listProviders],

  ["POST", "/exec", "data", exec.execSync],
  ["POST", "/exec/stream", "data", exec.execStream],
  ["GET", "/files", "data", files.readFile],
  ["POST", "/files", "data", files.writeFile],
];
