/**
 * The MountedSandbox provider, run inside the dynamic provider process: the shared lifecycle (see
 * `../lifecycle.ts`) with MountedSandbox's field table, checks, state diff and operations. The
 * public class and its documented args are in `resource.ts` and `args.ts`.
 */
import { persistCompileCache } from "../compile-cache"; // first: caches what loads after it
import type { ConfigSource } from "../config";
import {
  defineProvider,
  type ProviderEnvironment,
  type ProviderMethods,
  type ResourceDefinition,
} from "../lifecycle";
import { sandboxNameRules, validateSandboxInputs } from "./check";
import { adoptSandbox, createSandbox } from "./create";
import { deleteSandbox } from "./delete";
import { SANDBOX_FIELDS, stateDiff } from "./diff";
import { importSandbox } from "./import";
import { readSandbox } from "./read";
import { verifyReferences } from "./references";
import {
  SANDBOX_ENCRYPTED_INPUTS,
  type MountedSandboxInputs,
  type MountedSandboxOutputs,
} from "./state";
import { updateSandbox } from "./update";

/** Default deadline of one create/update/delete. */
const OPERATION_TIMEOUT_SECONDS = 600;

const mountedSandboxDefinition: ResourceDefinition<MountedSandboxInputs, MountedSandboxOutputs> = {
  typeName: "MountedSandbox",
  services: ["mesa", "superserve"],
  nameRules: sandboxNameRules,
  fields: SANDBOX_FIELDS,
  encryptedInputs: SANDBOX_ENCRYPTED_INPUTS,
  stateDiff,
  timeoutSeconds: (inputs) =>
    Math.max(OPERATION_TIMEOUT_SECONDS, (inputs.mountTimeoutSeconds ?? 0) + 120),
  validate: (inputs) => validateSandboxInputs(inputs as unknown as Record<string, unknown>),
  verifyReferences,
  create: createSandbox,
  adopt: adoptSandbox,
  read: readSandbox,
  update: updateSandbox,
  delete: deleteSandbox,
  import: importSandbox,
};

/** Entry point of the trampoline (see `../dynamic.ts`). */
export function createProvider(
  config: ConfigSource | undefined,
  environment?: ProviderEnvironment,
): ProviderMethods {
  const provider = defineProvider(mountedSandboxDefinition, config, environment);
  persistCompileCache(); // the provider process is ended by a signal, which writes nothing
  return provider;
}
