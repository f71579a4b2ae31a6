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
import { MESA_REPO_SPEC, mesaRepoInputs } from "../provider/mesa-repo/resource";
import type { MesaRepoOutputs } from "../provider/mesa-repo/state";
import type { MountedSandboxArgs } from "../provider/mounted-sandbox/args";
import { MOUNTED_SANDBOX_SPEC, mountedSandboxInputs } from "../provider/mounted-sandbox/resource";
import type { MountedSandboxOutputs } from "../provider/mounted-sandbox/state";
import type { RepoWorkspace } from "../provider/mounted-sandbox/workspace-progress";
import type { SuperserveTemplateArgs } from "../provider/superserve-template/args";
import {
  SUPERSERVE_TEMPLATE_SPEC,
  superserveTemplateInputs,
} from "../provider/superserve-template/resource";
import type { SuperserveTemplateOutputs } from "../provider/superserve-template/state";
import { typeToken } from "./types";

/** A resource served by the plugin: type token, declared outputs, encrypted outputs. */
abstract class PluginResource<O extends object> extends pulumi.CustomResource {
  protected constructor(
    spec: PackageResourceSpec<O>,
    name: string,
    inputs: Record<string, unknown>,
    opts: pulumi.CustomResourceOptions | undefined,
  ) {
    super(
      typeToken(spec.typeName),
      name,
      declaredProps(spec, inputs),
      withSecretOutputs(spec, opts),
    );
  }
}

/** A Mesa repository, served by the plugin (see `MesaRepo` in the package for the docs). */
export class MesaRepo extends PluginResource<MesaRepoOutputs> {
  declare readonly org: pulumi.Output<string>;
  declare readonly name: pulumi.Output<string>;
  declare readonly defaultBookmark: pulumi.Output<string>;
  declare readonly headChangeId: pulumi.Output<string>;
  declare readonly tags: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: MesaRepoArgs = {}, opts?: pulumi.CustomResourceOptions) {
    super(MESA_REPO_SPEC, name, mesaRepoInputs(args), opts);
  }
}

/** A Superserve template, served by the plugin (see `SuperserveTemplate` in the package). */
export class SuperserveTemplate extends PluginResource<SuperserveTemplateOutputs> {
  declare readonly name: pulumi.Output<string>;
  declare readonly status: pulumi.Output<string>;
  declare readonly buildId: pulumi.Output<string>;
  declare readonly buildSpecHash: pulumi.Output<string>;
  declare readonly builtAt: pulumi.Output<string | undefined>;
  declare readonly sizeBytes: pulumi.Output<number | undefined>;

  constructor(name: string, args: SuperserveTemplateArgs, opts?: pulumi.CustomResourceOptions) {
    super(SUPERSERVE_TEMPLATE_SPEC, name, superserveTemplateInputs(args), opts);
  }
}

/** A sandbox with Mesa repos mounted, served by the plugin (see `MountedSandbox` in the package). */
export class MountedSandbox extends PluginResource<MountedSandboxOutputs> {
  declare readonly sandboxId: pulumi.Output<string>;
  declare readonly name: pulumi.Output<string>;
  declare readonly status: pulumi.Output<string>;
  declare readonly mounted: pulumi.Output<boolean>;
  declare readonly org: pulumi.Output<string>;
  declare readonly mountPaths: pulumi.Output<Record<string, string>>;
  declare readonly bookmarks: pulumi.Output<Record<string, string>>;
  declare readonly workspace: pulumi.Output<Record<string, RepoWorkspace>>;
  declare readonly tokenExpiresAt: pulumi.Output<string>;

  constructor(name: string, args: MountedSandboxArgs, opts?: pulumi.CustomResourceOptions) {
    super(MOUNTED_SANDBOX_SPEC, name, mountedSandboxInputs(args), opts);
  }
}

/** What `construct` builds an AgentEnvironment from: the plugin's own resources. */
export const PLUGIN_CHILDREN: AgentEnvironmentKit = {
  type: typeToken("AgentEnvironment"),
  MesaRepo,
  SuperserveTemplate,
  MountedSandbox,
};
