/**
 * The MesaRepo provider, run inside the dynamic provider process: the shared lifecycle (see
 * `../lifecycle.ts`) with MesaRepo's field table, checks and operations. The public class and its
 * documented args are in `resource.ts` and `args.ts`.
 */
import { persistCompileCache } from "../compile-cache"; // first: caches what loads after it
import type { ConfigSource } from "../config";
import {
  defineProvider,
  type ProviderEnvironment,
  type ProviderMethods,
  type ResourceDefinition,
} from "../lifecycle";
import { mesaRepoNameRules, validateRepoInputs } from "./check";
import { adoptRepo, createRepo } from "./create";
import { deleteRepo } from "./delete";
import { importRepo } from "./import";
import { readRepo } from "./read";
import { MESA_REPO_ENCRYPTED_INPUTS, type MesaRepoInputs, type MesaRepoOutputs } from "./state";
import { updateRepo } from "./update";

const mesaRepoDefinition: ResourceDefinition<MesaRepoInputs, MesaRepoOutputs> = {
  typeName: "MesaRepo",
  services: ["mesa"],
  nameRules: mesaRepoNameRules,
  encryptedInputs: MESA_REPO_ENCRYPTED_INPUTS,
  fields: {
    name: { change: "update" },
    org: { change: "replace", serviceDefault: true },
    defaultBookmark: { change: "update", serviceDefault: true },
    tags: { change: "update" },
    upstream: { change: "update" },
    forceDestroy: { change: "update" },
    timeoutSeconds: { change: "none" },
  },
  timeoutSeconds: (inputs) => inputs.timeoutSeconds ?? 300,
  validate: validateRepoInputs,

  async serviceDefaults(inputs, olds, services) {
    if (inputs.org !== undefined) return;
    inputs.org = olds.org ?? (await services.mesaOrg());
  },

  create: createRepo,
  adopt: adoptRepo,
  read: readRepo,
  update: updateRepo,
  delete: deleteRepo,
  import: importRepo,
};

/** Entry point of the trampoline (see `../dynamic.ts`). */
export function createProvider(
  config: ConfigSource | undefined,
  environment?: ProviderEnvironment,
): ProviderMethods {
  const provider = defineProvider(mesaRepoDefinition, config, environment);
  persistCompileCache(); // the provider process is ended by a signal, which writes nothing
  return provider;
}
