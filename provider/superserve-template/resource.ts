import type * as pulumi from "@pulumi/pulumi";
import { PackageResource, type PackageResourceSpec } from "../dynamic";
import type { SuperserveTemplateArgs } from "./args";
import type { SuperserveTemplateOutputs } from "./state";

/** How the engine sees a SuperserveTemplate: type name, provider module, outputs to declare and to encrypt. */
export const SUPERSERVE_TEMPLATE_SPEC: PackageResourceSpec<SuperserveTemplateOutputs> = {
  typeName: "SuperserveTemplate",
  implModule: "superserve-template/provider",
  outputs: ["name", "status", "buildId", "buildSpecHash", "builtAt", "sizeBytes"],
};

/** The inputs a SuperserveTemplate sends its provider (either host: dynamic or plugin). */
export function superserveTemplateInputs(args: SuperserveTemplateArgs): Record<string, unknown> {
  return {
    name: args.name,
    from: args.from,
    steps: args.steps,
    vcpu: args.vcpu,
    memoryMib: args.memoryMib,
    diskMib: args.diskMib,
    startCmd: args.startCmd,
    readyCmd: args.readyCmd,
    buildTimeoutSeconds: args.buildTimeoutSeconds,
    verboseBuildLogs: args.verboseBuildLogs,
    adopt: args.adopt,
  };
}

/**
 * A Superserve sandbox template: a base image plus build steps, built once and used to start
 * sandboxes quickly. `pulumi up` waits for the build; build failures report the vendor's error
 * code and the last log lines, and leave no template behind.
 *
 * @example
 * ```ts
 * import { SuperserveTemplate } from "pulumi-superserve-mesa";
 *
 * const template = new SuperserveTemplate("agent-base", {
 *   from: "ubuntu:24.04",
 *   steps: [{ run: "apt-get update && apt-get install -y ripgrep git" }],
 *   vcpu: 2,
 *   memoryMib: 4096,
 * });
 * export const templateName = template.name;
 * ```
 */
export class SuperserveTemplate extends PackageResource<SuperserveTemplateOutputs> {
  /** Template name. */
  declare readonly name: pulumi.Output<string>;
  /** Template status, `ready` after a successful `pulumi up`. */
  declare readonly status: pulumi.Output<string>;
  /** Id of the build that produced the template. */
  declare readonly buildId: pulumi.Output<string>;
  /** The service's hash of the build spec. */
  declare readonly buildSpecHash: pulumi.Output<string>;
  /** When the build finished (RFC 3339). */
  declare readonly builtAt: pulumi.Output<string | undefined>;
  /** Size of the built template in bytes. */
  declare readonly sizeBytes: pulumi.Output<number | undefined>;

  /**
   * An existing template, read by its id (the `id` of a `SuperserveTemplate`) or its name, without
   * managing it: `pulumi up` reads it again on every run and never rebuilds or deletes it. Its
   * outputs (`name`, `status`, `buildId`, `builtAt`, `sizeBytes`) are those of a managed template,
   * so a {@link MountedSandbox} can be made from it. An id that names no template fails the run.
   * Needs `@pulumi/pulumi` 3.268 or newer (older versions throw an error saying so).
   *
   * @example
   * ```ts
   * import { MountedSandbox, SuperserveTemplate } from "pulumi-superserve-mesa";
   *
   * const base = SuperserveTemplate.get("base", "superserve/base");
   * const box = new MountedSandbox("agent-1", { template: base, repos: [{ repo: "workspace" }] });
   * ```
   */
  static get(name: string, id: pulumi.Input<pulumi.ID>, opts?: pulumi.CustomResourceOptions) {
    // As in Pulumi's generated `get`s: the constructor reads no args when `id` is set.
    return new SuperserveTemplate(name, undefined as unknown as SuperserveTemplateArgs, {
      ...opts,
      id,
    });
  }

  constructor(name: string, args: SuperserveTemplateArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      SUPERSERVE_TEMPLATE_SPEC,
      name,
      opts?.id !== undefined ? {} : superserveTemplateInputs(args),
      opts,
    );
  }
}
