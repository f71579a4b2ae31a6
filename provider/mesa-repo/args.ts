/**
 * The args of a `MesaRepo`, as a program writes them: each documented with its default, an
 * example, and a caution where a change replaces the repo (the README's reference is generated
 * from this TSDoc by `scripts/api-docs.ts`).
 */
import type * as pulumi from "@pulumi/pulumi";

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
   * Delete the repo even when bookmarks other than the default one hold work the default bookmark
   * does not have (such as the agents' forks). By default such a delete — by `pulumi destroy`,
   * removing the resource, or a replacement — fails and names those bookmarks, so agent work is
   * not lost by accident. The delete reads this setting from the state: set it and run
   * `pulumi up` (an in-place update that changes nothing in Mesa) before `pulumi destroy`.
   * @default `false`
   * @example
   * ```ts
   * { forceDestroy: true }
   * ```
   */
  forceDestroy?: pulumi.Input<boolean>;
  /**
   * Take over an existing repo instead of creating one (the dynamic resources cannot be imported;
   * the provider plugin's can, by `<org>/<name>`: see README, "Import"). The repo is then managed — and deleted on destroy — like one created
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
