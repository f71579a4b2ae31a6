import * as pulumi from "@pulumi/pulumi";
import { PackageResource } from "./dynamic";

/** Credentials Mesa uses to pull from / push to an upstream git remote. */
export type MesaRepoUpstreamAuth =
  | {
      kind: "token";
      /** Access token of the remote (e.g. a GitHub fine-grained token). Stored encrypted in the state. */
      token: pulumi.Input<string>;
      /** Username sent with the token, when the remote needs one (e.g. `x-access-token`). */
      tokenUsername?: pulumi.Input<string>;
    }
  | {
      kind: "username_password";
      username: pulumi.Input<string>;
      /** Stored encrypted in the state. */
      password: pulumi.Input<string>;
    };

export interface MesaRepoArgs {
  /**
   * Name of the repo in its org. The names `repo`, `repos`, `api-key` and `api-keys` (in any case)
   * are reserved by the service.
   *
   * Renaming updates the repo in place (its id, history and bookmarks stay).
   * @default `<resource name>-<hash>` (7 hex digits of the URN and the inputs that force replacement), chosen once and kept across updates.
   * @example
   * ```ts
   * { name: "agent-workspace" }
   * ```
   */
  name?: pulumi.Input<string>;
  /**
   * Org (slug) that owns the repo.
   *
   * Caution: changing it replaces the repo — a new, empty repo is created in the new org and the
   * old one (with its history) is deleted.
   * @default the org of the Mesa API key (`MESA_ORG` or the `mesaOrg` config when set).
   * @example
   * ```ts
   * { org: "acme" }
   * ```
   */
  org?: pulumi.Input<string>;
  /**
   * Bookmark (branch) that is the repo's default; updated in place.
   * @default the service's default, `main`.
   * @example
   * ```ts
   * { defaultBookmark: "trunk" }
   * ```
   */
  defaultBookmark?: pulumi.Input<string>;
  /**
   * Free-form string tags; updated in place. The tag `pulumi-urn` is reserved: the provider sets
   * it to the resource's URN to recognise its own repos.
   * @default `{}`
   * @example
   * ```ts
   * { tags: { team: "agents", env: "dev" } }
   * ```
   */
  tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /**
   * Upstream git remote mirrored by the repo; updated in place (unset it to remove the upstream).
   * The credentials are always stored encrypted in the state.
   * @default no upstream
   * @example
   * ```ts
   * {
   *   upstream: {
   *     url: "https://github.com/acme/app.git",
   *     auth: { kind: "token", token: config.requireSecret("githubToken") },
   *   },
   * }
   * ```
   */
  upstream?: pulumi.Input<{ url: pulumi.Input<string>; auth?: pulumi.Input<MesaRepoUpstreamAuth> }>;
  /**
   * Take over an existing repo instead of creating one (`pulumi import` does not work for this
   * package's resources). The repo is then managed — and deleted on destroy — like one created
   * here; combine with `retainOnDelete: true` to leave it in place. Only read on create.
   * @default create a new repo
   * @example
   * ```ts
   * { adopt: { name: "legacy-workspace" } }
   * ```
   */
  adopt?: pulumi.Input<{ name: pulumi.Input<string> }>;
  /**
   * Deadline of each create, update, read and delete, including retries of rate-limited or
   * failed calls.
   * @default 300
   */
  timeoutSeconds?: pulumi.Input<number>;
}

/**
 * A Mesa repository.
 *
 * Deleting a repo destroys its history. `pulumi destroy`, removing the resource from the program,
 * and a replacement (changing `org`) all delete it. Guard repos that hold real work with the
 * resource options `protect: true` (the engine refuses to delete it) or `retainOnDelete: true`
 * (the repo stays in Mesa when the resource is deleted).
 *
 * @example
 * ```ts
 * import { MesaRepo } from "pulumi-superserve-mesa";
 *
 * const repo = new MesaRepo("workspace", { tags: { team: "agents" } }, { protect: true });
 * export const repoName = repo.name;
 * ```
 */
export class MesaRepo extends PackageResource {
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

  constructor(name: string, args: MesaRepoArgs = {}, opts?: pulumi.CustomResourceOptions) {
    super(
      {
        typeName: "MesaRepo",
        implModule: "mesa-repo-provider",
        outputs: ["org", "name", "defaultBookmark", "headChangeId", "tags"],
        secretOutputs: ["upstream"],
      },
      name,
      {
        name: args.name,
        org: args.org,
        defaultBookmark: args.defaultBookmark,
        tags: args.tags,
        upstream: args.upstream === undefined ? undefined : pulumi.secret(args.upstream),
        adopt: args.adopt,
        timeoutSeconds: args.timeoutSeconds,
      },
      opts,
    );
  }
}
