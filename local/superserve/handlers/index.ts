import {
  activateSandbox,
  attachSecret,
  createSandbox,
  deleteSandbox,
  detachSecret,
  getSandbox,
  listSandboxes,
  networkLog,
  patchSandbox,
  pauseSandbox,
  resumeSandbox,
} from "./control/sandboxes";
import {
  createSecret,
  deleteSecret,
  getSecret,
  listProviders,
  listSecrets,
  rotateSecret,
  secretAudit,
  secretSandboxes,
} from "./control/secrets";
import {
  buildLogs,
  cancelBuild,
  createTemplate,
  deleteTemplate,
  getBuild,
  getTemplate,
  listBuilds,
  listTemplates,
  rebuildTemplate,
} from "./control/templates";
import { execCommand, execCommandStream } from "./control/sandbox-exec";
import { health } from "./control/health";
import { execStream, execSync } from "./data/exec";
import { readFile, writeFile } from "./data/files";
import type { Handlers } from "../operations";

/** The handler of every operation in the table (a missing one fails to compile). */
export const handlers: Handlers = {
  control: {
    createTemplate,
    listTemplates,
    getTemplate,
    deleteTemplate,
    rebuildTemplate,
    listBuilds,
    getBuild,
    cancelBuild,
    buildLogs,
    createSandbox,
    listSandboxes,
    getSandbox,
    patchSandbox,
    deleteSandbox,
    pauseSandbox,
    resumeSandbox,
    activateSandbox,
    networkLog,
    attachSecret,
    detachSecret,
    execCommand,
    execCommandStream,
    createSecret,
    listSecrets,
    getSecret,
    rotateSecret,
    deleteSecret,
    secretAudit,
    secretSandboxes,
    listProviders,
  },
  data: { execSync, execStream, readFile, writeFile },
  public: { health },
};
