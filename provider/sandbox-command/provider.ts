/**
 * The SandboxCommand provider, run inside the dynamic provider process: the shared lifecycle (see
 * `../lifecycle.ts`) with SandboxCommand's field table, checks, state diff and operations. The
 * public class and its documented args are in `resource.ts` and `args.ts`.
 */
import type { ConfigSource } from "../config";
import {
  defineProvider,
  type ProviderEnvironment,
  type ProviderMethods,
  type ResourceDefinition,
} from "../lifecycle";
import { validateCommandInputs } from "./check";
import { createCommand } from "./create";
import { deleteCommand } from "./delete";
import { COMMAND_FIELDS, stateDiff } from "./diff";
import { readCommand } from "./read";
import { STOP_GRACE_SECONDS } from "./run";
import {
  COMMAND_ENCRYPTED_INPUTS,
  type SandboxCommandInputs,
  type SandboxCommandOutputs,
} from "./state";
import { updateCommand } from "./update";

/** Deadline of an operation beyond the command's own (connecting, resuming, retries). */
const OPERATION_MARGIN_SECONDS = 300;

const sandboxCommandDefinition: ResourceDefinition<SandboxCommandInputs, SandboxCommandOutputs> = {
  typeName: "SandboxCommand",
  services: ["superserve"],
  fields: COMMAND_FIELDS,
  encryptedInputs: COMMAND_ENCRYPTED_INPUTS,
  stateDiff,
  timeoutSeconds: (inputs) =>
    OPERATION_MARGIN_SECONDS + STOP_GRACE_SECONDS + (inputs.timeoutSeconds ?? 0),
  validate: validateCommandInputs,
  create: createCommand,
  adopt: () => Promise.reject(new Error("adopt is not supported by SandboxCommand: remove it.")),
  import: {
    refusal:
      "SandboxCommand cannot be imported: it is a run of a command by this provider, not an object Superserve keeps (the service lists no processes; a command's id is the provider's own). Declare it in the program instead and `pulumi up` runs it — a background command a second time, so stop one that already runs in the sandbox first if it must not run twice.",
  },
  read: readCommand,
  update: updateCommand,
  delete: deleteCommand,
};

/** Entry point of the trampoline (see `../dynamic.ts`). */
export function createProvider(
  config: ConfigSource | undefined,
  environment?: ProviderEnvironment,
): ProviderMethods {
  return defineProvider(sandboxCommandDefinition, config, environment);
}
