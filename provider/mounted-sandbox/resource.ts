import * as pulumi from "@pulumi/pulumi";
import { PackageResource, type PackageResourceSpec } from "../dynamic";
import type {
  MesaRepoRef,
  MountedSandboxArgs,
  MountedSandboxRepoArgs,
  SuperserveTemplateRef,
} from "./args";
import { SANDBOX_ENCRYPTED_INPUTS, type MountedSandboxOutputs } from "./state";
import type { RepoWorkspace } from "./state";

function templateInput(template: MountedSandboxArgs["template"]): pulumi.Input<string> {
  return pulumi.CustomResource.isInstance(template)
    ? (template as SuperserveTemplateRef).name
    : (template as pulumi.Input<string>);
}

function repoInput(entry: MountedSandboxRepoArgs): pulumi.Input<Record<string, unknown>> {
  const ref = pulumi.CustomResource.isInstance(entry.repo)
    ? (entry.repo as MesaRepoRef)
    : undefined;
  return {
    repo: ref ? ref.name : entry.repo,
    org: ref?.org,
    bookmark: entry.bookmark,
    fork: entry.fork,
    readOnly: entry.readOnly,
  };
}

/**
 * Paths of the references given by a literal name (`template`, `repos[<i>].repo`): `check`
 * verifies at preview that they exist. A resource or a computed value is left to the engine,
 * which creates it first.
 */
function namedReferences(args: MountedSandboxArgs): string[] {
  const paths = typeof args.template === "string" ? ["template"] : [];
  args.repos.forEach((entry, i) => {
    if (typeof entry.repo === "string") paths.push(`repos[${i}].repo`);
  });
  return paths;
}

/** How the engine sees a MountedSandbox: type name, provider module, outputs to declare and to encrypt. */
export const MOUNTED_SANDBOX_SPEC: PackageResourceSpec<MountedSandboxOutputs> = {
  typeName: "MountedSandbox",
  implModule: "mounted-sandbox/provider",
  outputs: [
    "sandboxId",
    "name",
    "status",
    "mounted",
    "org",
    "mountPaths",
    "mountPath",
    "bookmarks",
    "workspace",
    "tokenExpiresAt",
  ],
  secretOutputs: SANDBOX_ENCRYPTED_INPUTS,
};

/** The inputs a MountedSandbox sends its provider (either host: dynamic or plugin). */
export function mountedSandboxInputs(args: MountedSandboxArgs): Record<string, unknown> {
  return {
    name: args.name,
    template: templateInput(args.template),
    repos: args.repos.map(repoInput),
    tokenTtlSeconds: args.tokenTtlSeconds,
    envVars: args.envVars === undefined ? undefined : pulumi.secret(args.envVars),
    secrets: args.secrets,
    network: args.network,
    metadata: args.metadata,
    timeoutSeconds: args.timeoutSeconds,
    autoDeleteSeconds: args.autoDeleteSeconds,
    mesaCli: args.mesaCli,
    deleteWorkspaceOnDestroy: args.deleteWorkspaceOnDestroy,
    mountTimeoutSeconds: args.mountTimeoutSeconds,
    adopt: args.adopt,
    namedReferences: namedReferences(args),
  };
}

/**
 * A Superserve sandbox with Mesa repos mounted inside by the `mesa` CLI.
 *
 * On create the provider signs a Mesa access token scoped to exactly the mounted repos, creates
 * the sandbox, installs the CLI when absent, runs `mesa mount -d` with the token passed only in
 * that command's environment, and waits until the repos are served. Edits in the mount are
 * persisted to Mesa as changes on the sandbox's bookmark. The token is never an output nor in
 * the state. `pulumi refresh` shows a killed sandbox as gone, a paused or failed one as drift on
 * `status`, and a stopped mount as `mounted: false` — without resuming paused sandboxes, whose
 * mounts it therefore cannot check (`mounted: false` too). The next `pulumi up` (or `pulumi up
 * --refresh`) repairs what the refresh found: it resumes such a sandbox, checks its mount and
 * remounts it when it does not serve (after a restart that ended the sandbox's processes). What
 * the agent did — changes and files changed on its bookmark — is in `workspace`, refreshed from
 * Mesa.
 *
 * @example
 * ```ts
 * import { MesaRepo, MountedSandbox, SuperserveTemplate } from "pulumi-superserve-mesa";
 *
 * const repo = new MesaRepo("workspace", {}, { protect: true });
 * const template = new SuperserveTemplate("agent", { from: "ubuntu:24.04" });
 * const box = new MountedSandbox("agent-1", { template, repos: [{ repo }] });
 * export const mounts = box.mountPaths; // { "<repo name>": "/home/user/.local/share/mesa/mnt/<org>/<repo name>" }
 * export const work = box.workspace; // { "<repo name>": { bookmark: "agents/agent-1", changes: 2, filesChanged: 3, … } }
 * ```
 */
export class MountedSandbox extends PackageResource<MountedSandboxOutputs> {
  /** Id of the sandbox. */
  declare readonly sandboxId: pulumi.Output<string>;
  /** Name of the sandbox. */
  declare readonly name: pulumi.Output<string>;
  /** `active`, `paused`, `resuming` or `failed`, as last created, updated or refreshed. */
  declare readonly status: pulumi.Output<string>;
  /**
   * Whether the mount was seen serving the repos when last checked. Refresh checks active
   * sandboxes only; a paused one, or one whose check failed, is reported `false`, and the next
   * `pulumi up` checks it in the running sandbox and remounts it when needed.
   */
  declare readonly mounted: pulumi.Output<boolean>;
  /** The Mesa org of the mounted repos. */
  declare readonly org: pulumi.Output<string>;
  /** Repo name → its directory in the sandbox (`/home/user/.local/share/mesa/mnt/<org>/<repo>`). */
  declare readonly mountPaths: pulumi.Output<Record<string, string>>;
  /** Repo name → the bookmark the sandbox works on (its fork, unless `fork: false`). */
  declare readonly bookmarks: pulumi.Output<Record<string, string>>;
  /**
   * Repo name → what the agent did there, read from Mesa on create, update and refresh (never from
   * the sandbox, so a paused one stays paused): `{ bookmark, baseBookmark, baseChangeId,
   * headChangeId, changes, filesChanged }` — the bookmark it works on and its head change, and the
   * number of changes and of files changed since `baseChangeId`, the change of `baseBookmark` it
   * forked from (recorded at the fork; for `fork: false`, the bookmark's head when the sandbox was
   * created). An agent's progress is not drift: `pulumi refresh` updates these counts, and no
   * preview or `up` plans a change because of them. A repo whose bookmark was deleted is left out.
   */
  declare readonly workspace: pulumi.Output<Record<string, RepoWorkspace>>;
  /**
   * When the mount's access token expires (ISO 8601); `pulumi up` renews it within the last 10% of
   * its lifetime. Empty after `pulumi import`: the imported mount runs on a token this provider
   * did not sign, whose expiry it does not read. That token is never renewed: `up` leaves the
   * mount alone while refresh sees it serving, and once a refresh finds it dead (the token
   * expired, say), the next `up` remounts the repos with a token of its own, from then on renewed
   * as usual. Changing `tokenTtlSeconds` after the import remounts with a token of its own at once.
   */
  declare readonly tokenExpiresAt: pulumi.Output<string>;
  /** Where the first repo is mounted: the default working directory of a `SandboxCommand` in this sandbox. */
  declare readonly mountPath: pulumi.Output<string>;

  /**
   * An existing sandbox, read by its id (the `id` or `sandboxId` of a `MountedSandbox`, the
   * service's sandbox id), without managing it: `pulumi up` reads it again on every run — never
   * resuming it when paused — and never changes or deletes it. Its outputs are what the service
   * reports: `sandboxId`, `name` and `status`. What a `MountedSandbox` records when it mounts
   * (`mountPaths`, `bookmarks`, `workspace`, `org`, `tokenExpiresAt`) lives in the state of the
   * stack that made it, so here those are empty and `mounted` is `false`. An id that names no
   * sandbox fails the run. Needs `@pulumi/pulumi` 3.268 or newer (older versions throw an error
   * saying so).
   *
   * @example
   * ```ts
   * import * as pulumi from "@pulumi/pulumi";
   * import { MountedSandbox } from "pulumi-superserve-mesa";
   *
   * const box = MountedSandbox.get("agent-1", new pulumi.Config().require("agentSandboxId"));
   * export const agentStatus = box.status; // "active", "paused", …
   * ```
   */
  static get(name: string, id: pulumi.Input<pulumi.ID>, opts?: pulumi.CustomResourceOptions) {
    // As in Pulumi's generated `get`s: the constructor reads no args when `id` is set.
    return new MountedSandbox(name, undefined as unknown as MountedSandboxArgs, { ...opts, id });
  }

  constructor(name: string, args: MountedSandboxArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      MOUNTED_SANDBOX_SPEC,
      name,
      opts?.id !== undefined ? {} : mountedSandboxInputs(args),
      opts,
    );
  }
}
