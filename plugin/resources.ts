/**
 * The resources as plugin resources (`superserve-mesa:index:<Type>`), with the same args and
 * outputs as the dynamic classes: the children `construct` gives an AgentEnvironment built for
 * another language, and what a TypeScript program uses when it wants `pulumi import` or the
 * engine's log (see README, "Other languages").
 */
import * as pulumi from "@pulumi/pulumi";
import { declaredProps, withSecretOutputs, type PackageResourceSpec } from "../provider/dynamic";
import type { AgentEnvironmentKit } from "../provider/agent-environment";
import type { MesaRepoArgs } from "../provider/mesa-repo/args";
import {
  MESA_REPO_SPEC,
  mesaRepoInputs,
  type MesaRepo as DynamicMesaRepo,
} from "../provider/mesa-repo/resource";
import type { MesaRepoOutputs } from "../provider/mesa-repo/state";
import type { MountedSandboxArgs } from "../provider/mounted-sandbox/args";
import {
  MOUNTED_SANDBOX_SPEC,
  mountedSandboxInputs,
  type MountedSandbox as DynamicMountedSandbox,
} from "../provider/mounted-sandbox/resource";
import type { MountedSandboxOutputs } from "../provider/mounted-sandbox/state";
import type { SandboxCommandArgs } from "../provider/sandbox-command/args";
import {
  SANDBOX_COMMAND_SPEC,
  sandboxCommandInputs,
  type SandboxCommand as DynamicSandboxCommand,
} from "../provider/sandbox-command/resource";
import type { SandboxCommandOutputs } from "../provider/sandbox-command/state";
import type { SuperserveTemplateArgs } from "../provider/superserve-template/args";
import {
  SUPERSERVE_TEMPLATE_SPEC,
  superserveTemplateInputs,
  type SuperserveTemplate as DynamicSuperserveTemplate,
} from "../provider/superserve-template/resource";
import type { SuperserveTemplateOutputs } from "../provider/superserve-template/state";
import { typeToken } from "./types";

/** The `Output` members of a resource class: what a plugin-backed class shares with it. */
type OutputsOf<R> = {
  readonly [K in keyof R as R[K] extends pulumi.Output<unknown> ? K : never]: R[K];
};

/** A plugin-backed class: the args and outputs of the dynamic class `R`, its spec's type token. */
type PluginClass<A, R> = new (
  name: string,
  args: A,
  opts?: pulumi.CustomResourceOptions,
) => pulumi.CustomResource & OutputsOf<R>;

/** The plugin-backed twin of a dynamic class: same spec, same inputs, type `superserve-mesa:index:<Type>`. */
function pluginClass<A, R, O extends object>(
  spec: PackageResourceSpec<O>,
  inputsOf: (args: A) => Record<string, unknown>,
): PluginClass<A, R> {
  class PluginResource extends pulumi.CustomResource {
    constructor(name: string, args: A, opts?: pulumi.CustomResourceOptions) {
      super(
        typeToken(spec.typeName),
        name,
        declaredProps(spec, inputsOf(args)),
        withSecretOutputs(spec, opts),
      );
    }
  }
  return PluginResource as unknown as PluginClass<A, R>;
}

/** A Mesa repository, served by the plugin (see `MesaRepo` in the package for the docs). */
export const MesaRepo = pluginClass<MesaRepoArgs, DynamicMesaRepo, MesaRepoOutputs>(
  MESA_REPO_SPEC,
  mesaRepoInputs,
);
export type MesaRepo = InstanceType<typeof MesaRepo>;

/** A Superserve template, served by the plugin (see `SuperserveTemplate` in the package). */
export const SuperserveTemplate = pluginClass<
  SuperserveTemplateArgs,
  DynamicSuperserveTemplate,
  SuperserveTemplateOutputs
>(SUPERSERVE_TEMPLATE_SPEC, superserveTemplateInputs);
export type SuperserveTemplate = InstanceType<typeof SuperserveTemplate>;

/** A sandbox with Mesa repos mounted, served by the plugin (see `MountedSandbox` in the package). */
export const MountedSandbox = pluginClass<
  MountedSandboxArgs,
  DynamicMountedSandbox,
  MountedSandboxOutputs
>(MOUNTED_SANDBOX_SPEC, mountedSandboxInputs);
export type MountedSandbox = InstanceType<typeof MountedSandbox>;

/** A command run in a sandbox, served by the plugin (see `SandboxCommand` in the package). */
export const SandboxCommand = pluginClass<
  SandboxCommandArgs,
  DynamicSandboxCommand,
  SandboxCommandOutputs
>(SANDBOX_COMMAND_SPEC, sandboxCommandInputs);
export type SandboxCommand = InstanceType<typeof SandboxCommand>;

/** What `construct` builds an AgentEnvironment from: the plugin's own resources. */
export const PLUGIN_CHILDREN: AgentEnvironmentKit = {
  type: typeToken("AgentEnvironment"),
  MesaRepo,
  SuperserveTemplate,
  MountedSandbox,
  SandboxCommand,
};
