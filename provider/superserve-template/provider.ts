/**
 * The SuperserveTemplate provider, run inside the dynamic provider process: the shared lifecycle
 * (see `../lifecycle.ts`) with SuperserveTemplate's field table, checks and operations. The public
 * class and its documented args are in `resource.ts` and `args.ts`.
 */
import { persistCompileCache } from "../compile-cache"; // first: caches what loads after it
import type { ConfigSource } from "../config";
import {
  defineProvider,
  type ProviderEnvironment,
  type ProviderMethods,
  type ResourceDefinition,
} from "../lifecycle";
import { templateNameRules, validateTemplateInputs } from "./check";
import { adoptTemplate, createTemplate } from "./create";
import { deleteTemplateResource } from "./delete";
import { importTemplate } from "./import";
import { readTemplate } from "./read";
import type { SuperserveTemplateInputs, SuperserveTemplateOutputs } from "./state";
import { updateTemplate } from "./update";

const superserveTemplateDefinition: ResourceDefinition<
  SuperserveTemplateInputs,
  SuperserveTemplateOutputs
> = {
  typeName: "SuperserveTemplate",
  services: ["superserve"],
  nameRules: templateNameRules,
  encryptedInputs: [],
  fields: {
    name: { change: "replace" },
    from: { change: "replace" },
    steps: { change: "replace" },
    vcpu: { change: "replace", serviceDefault: true },
    memoryMib: { change: "replace", serviceDefault: true },
    diskMib: { change: "replace", serviceDefault: true },
    startCmd: { change: "replace" },
    readyCmd: { change: "replace" },
    buildTimeoutSeconds: { change: "none" },
    verboseBuildLogs: { change: "none" },
  },
  timeoutSeconds: (inputs) => (inputs.buildTimeoutSeconds ?? 1800) + 300,
  validate: validateTemplateInputs,
  create: createTemplate,
  adopt: adoptTemplate,
  read: readTemplate,
  update: updateTemplate,
  delete: deleteTemplateResource,
  import: importTemplate,
};

/** Entry point of the trampoline (see `../dynamic.ts`). */
export function createProvider(
  config: ConfigSource | undefined,
  environment?: ProviderEnvironment,
): ProviderMethods {
  const provider = defineProvider(superserveTemplateDefinition, config, environment);
  persistCompileCache(); // the provider process is ended by a signal, which writes nothing
  return provider;
}
