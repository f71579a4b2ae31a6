import * as pulumi from "@pulumi/pulumi";
import { PackageResource, type PackageResourceSpec } from "../dynamic";
import type { MesaRepoArgs } from "./args";
import { MESA_REPO_ENCRYPTED_INPUTS, type MesaRepoOutputs } from "./state";

/** How the engine sees a MesaRepo: type name, provider module, outputs to declare and to encrypt. */
export const MESA_REPO_SPEC: PackageResourceSpec<MesaRepoOutputs> = {
  typeName: "MesaRepo",
  implModule: "mesa-repo/provider",
  outputs: ["org", "name", "defaultBookmark", "headChangeId", "tags"],
  secretOutputs: MESA_REPO_ENCRYPTED_INPUTS,
};

/** The inputs a MesaRepo sends its provider (either host: dynamic or plugin). */
export function mesaRepoInputs(args: MesaRepoArgs): Record<string, unknown> {
  return {
    name: args.name,
    org: args.org,
    defaultBookmark: args.defaultBookmark,
    tags: args.tags,
    upstream: args.upstream === undefined ? undefined : pulumi.secret(args.upstream),
    forceDestroy: args.forceDestroy,
    adopt: args.adopt,
    timeoutSeconds: args.timeoutSeconds,
  };
}

/**
 * A Mesa repository.
 *
 * Deleting a repo destroys its history. `pulumi destroy`, removing the resource from the program,
 * and a replacement (changing `org`) all delete it — but never while bookmarks other than the
 * default hold work the default bookmark does not have (the agents' forks): the delete fails,
 * naming them, unless `forceDestroy` is set. Guard repos that hold real work with the resource
 * options `protect: true` (the engine refuses to delete it) or `retainOnDelete: true` (the repo
 * stays in Mesa when the resource is deleted).
 *
 * @example
 * ```ts
 * import { MesaRepo } from "pulumi-superserve-mesa";
 *
 * const repo = new MesaRepo("workspace", { tags: { team: "agents" } }, { protect: true });
 * export const repoName = repo.name;
 * ```
 */
export class MesaRepo extends PackageResource<MesaRepoOutputs> {
  /** Org (slug) that owns the repo. */
  declare readonly org: pulumi.Output<string>;
  /** Name of the repo. */
  declare readonly name: pulumi.Output<string>;
  /** The repo's default bookmark. */
  declare readonly defaultBookmark: pulumi.Output<string>;
  /** Change id at the tip of the default bookmark (`z` × 32 for an empty repo). */
  declare readonly headChangeId: pulumi.Output<string>;
  /** Tags of the repo (without the provider's `pulumi-urn` tag). */
  declare readonly tags: pulumi.Output<Record<string, string>>;

  /**
   * An existing repo, read by its id (the `id` of a `MesaRepo`, Mesa's repo id) in the configured
   * org, without managing it: `pulumi up` reads it again on every run and never changes or deletes
   * it. Its outputs are those of a managed repo (`name`, `org`, `defaultBookmark`, `headChangeId`,
   * `tags`), so it can be mounted in a {@link MountedSandbox} like one. An id that names no repo
   * fails the run. Needs `@pulumi/pulumi` 3.268 or newer (older versions throw an error saying so).
   *
   * @example
   * ```ts
   * import * as pulumi from "@pulumi/pulumi";
   * import { MesaRepo } from "pulumi-superserve-mesa";
   *
   * const config = new pulumi.Config();
   * const shared = MesaRepo.get("shared", config.require("sharedRepoId"));
   * export const sharedHead = shared.headChangeId;
   * ```
   */
  static get(name: string, id: pulumi.Input<pulumi.ID>, opts?: pulumi.CustomResourceOptions) {
    return new MesaRepo(name, {}, { ...opts, id });
  }

  constructor(name: string, args: MesaRepoArgs = {}, opts?: pulumi.CustomResourceOptions) {
    super(MESA_REPO_SPEC, name, opts?.id !== undefined ? {} : mesaRepoInputs(args), opts);
  }
}
