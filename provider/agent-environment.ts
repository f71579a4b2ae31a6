import * as pulumi from "@pulumi/pulumi";
import { CONFIG_NAMESPACE, isSuperserveHost } from "./config";
import type { MesaRepoArgs } from "./mesa-repo/args";
import { MesaRepo } from "./mesa-repo/resource";
import type { MountedSandboxArgs } from "./mounted-sandbox/args";
import { INSTALLER } from "./mounted-sandbox/mount-commands";
import { MountedSandbox } from "./mounted-sandbox/resource";
import type { RepoWorkspace } from "./mounted-sandbox/state";
import type { SuperserveTemplateArgs, SuperserveTemplateStep } from "./superserve-template/args";
import { SuperserveTemplate } from "./superserve-template/resource";

/**
 * Adjust a child's args and resource options before it is created: either a partial object
 * merged into the args, or a function that edits `args` and `opts` in place.
 */
export type Transform<T> =
  Partial<T> | ((args: T, opts: pulumi.CustomResourceOptions, name: string) => void);

/** The sandboxes of an environment, and what they share. */
export interface AgentSandboxesArgs extends Omit<
  MountedSandboxArgs,
  "template" | "repos" | "name" | "adopt"
> {
  /**
   * How many sandboxes to run. Each works on its own bookmark, `agents/<environment>-sandbox-<i>`,
   * forked from `bookmark`; lowering the count destroys the last sandboxes and keeps their
   * bookmarks.
   * @default 1
   */
  count?: number;
  /**
   * Bookmark the sandboxes' forks start from.
   * @default the repo's default bookmark
   */
  bookmark?: pulumi.Input<string>;
}

export interface AgentEnvironmentArgs {
  /**
   * The Mesa repo the agents work in (created here). Its `forceDestroy` passes through: without
   * it, deleting the repo fails while the sandboxes' forked bookmarks hold unmerged work.
   * @default an autonamed repo in the API key's org
   * @example
   * ```ts
   * { repo: { name: "agent-workspace", tags: { team: "agents" } } }
   * { repo: { name: "scratch", forceDestroy: true }, protectRepo: false } // a throwaway environment
   * ```
   */
  repo?: MesaRepoArgs;
  /**
   * The sandbox template (built here). When the environment targets the real Superserve, a
   * last step installs the `mesa` CLI with the official installer (see `installMesaCli`).
   *
   * Caution: changing it rebuilds the template and replaces every sandbox; each new sandbox
   * continues on its predecessor's bookmark, so committed work is kept.
   * @example
   * ```ts
   * { template: { from: "ubuntu:24.04", steps: [{ run: "apt-get update && apt-get install -y ripgrep" }] } }
   * ```
   */
  template: SuperserveTemplateArgs;
  /**
   * The sandboxes, each with the repo mounted on its own forked bookmark.
   * @default `{ count: 1 }`
   * @example
   * ```ts
   * { sandboxes: { count: 3, tokenTtlSeconds: 7200, envVars: { AGENT_ROLE: "coder" } } }
   * ```
   */
  sandboxes?: AgentSandboxesArgs;
  /**
   * Protect the repo from deletion (`protect: true`): `pulumi destroy` then refuses to run until
   * the protection is lifted. Set `false` to let destroy delete the repo and its history (still
   * refused while forks hold unmerged work, unless `repo.forceDestroy`), or keep it with
   * `transform: { repo: (_, opts) => { opts.retainOnDelete = true; } }`.
   * @default true
   */
  protectRepo?: boolean;
  /**
   * Add the official `mesa` installer as the template's last step.
   * @default true when the Superserve API key targets the real service (no local base URL), false
   * with the local backends, whose sandboxes already have `mesa`
   */
  installMesaCli?: boolean;
  /**
   * Adjust the children's args and options.
   * @example
   * ```ts
   * {
   *   transform: {
   *     template: { vcpu: 4 },
   *     sandbox: (args, opts, name) => { args.metadata = { agent: name }; },
   *   },
   * }
   * ```
   */
  transform?: {
    repo?: Transform<MesaRepoArgs>;
    template?: Transform<SuperserveTemplateArgs>;
    sandbox?: Transform<MountedSandboxArgs>;
  };
}

/** One sandbox of the environment. */
export interface AgentSandboxInfo {
  /** Sandbox name. */
  name: string;
  /** Sandbox id. */
  sandboxId: string;
  /** The bookmark it works on. */
  bookmark: string;
  /** Where the repo is mounted in it. */
  mountPath: string;
  /**
   * What its agent did in the repo, read from Mesa on create, update and refresh: its head change,
   * and the changes and files changed since the change its bookmark forked from (see
   * `MountedSandbox.workspace`). Absent while its bookmark does not exist.
   */
  workspace?: RepoWorkspace;
}

/**
 * What an AgentEnvironment is made of: its type token and the classes of its children. TypeScript
 * programs use {@link DYNAMIC_CHILDREN} (dynamic resources); the provider plugin's `construct`
 * passes its plugin-backed classes (see `plugin/construct.ts`), so both hosts build the component
 * with this same code.
 */
export interface AgentEnvironmentKit {
  type: string;
  MesaRepo: new (name: string, args: MesaRepoArgs, opts?: pulumi.CustomResourceOptions) => MesaRepo;
  SuperserveTemplate: new (
    name: string,
    args: SuperserveTemplateArgs,
    opts?: pulumi.CustomResourceOptions,
  ) => SuperserveTemplate;
  MountedSandbox: new (
    name: string,
    args: MountedSandboxArgs,
    opts?: pulumi.CustomResourceOptions,
  ) => MountedSandbox;
}

/** The kit of TypeScript programs: dynamic resources. */
export const DYNAMIC_CHILDREN: AgentEnvironmentKit = {
  type: "pulumi-superserve-mesa:index:AgentEnvironment",
  MesaRepo,
  SuperserveTemplate,
  MountedSandbox,
};

function applyTransform<T extends object>(
  transform: Transform<T> | undefined,
  args: T,
  opts: pulumi.CustomResourceOptions,
  name: string,
): void {
  if (transform === undefined) return;
  if (typeof transform === "function") transform(args, opts, name);
  else Object.assign(args, transform);
}

/**
 * True when the program's Superserve settings target the real service: an API key is configured
 * (stack config or environment) and no base URL outside superserve.ai is set.
 */
function targetsRealSuperserve(env: NodeJS.ProcessEnv = process.env): boolean {
  const config = new pulumi.Config(CONFIG_NAMESPACE);
  const key = config.get("superserveApiKey") ?? env.SUPERSERVE_API_KEY;
  if (!key?.trim()) return false;
  const baseUrl = (config.get("superserveBaseUrl") ?? env.SUPERSERVE_BASE_URL)?.trim();
  if (!baseUrl) return true;
  try {
    return isSuperserveHost(baseUrl);
  } catch {
    return false;
  }
}

/**
 * An AI-agent environment: a Mesa repo, a Superserve template, and `count` sandboxes with the repo
 * mounted at `/home/user/.local/share/mesa/mnt/<org>/<repo>`, each on its own forked bookmark.
 * Children are named after the environment (`<name>-repo`, `<name>-template`, `<name>-sandbox-<i>`)
 * and parented to it; the repo is protected by default.
 *
 * @example
 * ```ts
 * import { AgentEnvironment } from "pulumi-superserve-mesa";
 *
 * const env = new AgentEnvironment("agents", {
 *   repo: { name: "agent-workspace" },
 *   template: { from: "ubuntu:24.04", steps: [{ run: "apt-get update && apt-get install -y ripgrep" }] },
 *   sandboxes: { count: 3 },
 * });
 * export const mounts = env.mountPaths;
 * export const work = env.workspaces; // sandbox name → { changes, filesChanged, headChangeId, … }
 * ```
 */
export class AgentEnvironment extends pulumi.ComponentResource {
  /** The Mesa repo. */
  readonly repo: MesaRepo;
  /** The sandbox template. */
  readonly template: SuperserveTemplate;
  /** The sandbox resources, in order. */
  readonly sandboxResources: MountedSandbox[];
  /** Per sandbox: name, id, bookmark, mount path and workspace, in order. */
  readonly sandboxes: pulumi.Output<AgentSandboxInfo[]>;
  /** Sandbox name → where the repo is mounted in it. */
  readonly mountPaths: pulumi.Output<Record<string, string>>;
  /**
   * Sandbox name → what its agent did in the repo: `{ bookmark, baseBookmark, baseChangeId,
   * headChangeId, changes, filesChanged }`, read from Mesa on create, update and refresh (a
   * paused sandbox is not resumed for it). Progress is not drift: it never plans a change.
   */
  readonly workspaces: pulumi.Output<Record<string, RepoWorkspace>>;

  private readonly kit: AgentEnvironmentKit;

  constructor(
    name: string,
    args: AgentEnvironmentArgs,
    opts?: pulumi.ComponentResourceOptions,
    kit: AgentEnvironmentKit = DYNAMIC_CHILDREN,
  ) {
    super(kit.type, name, {}, opts);
    this.kit = kit;
    const count = args.sandboxes?.count ?? 1;
    if (!Number.isInteger(count) || count < 0) {
      throw new Error(
        `AgentEnvironment ${name}: sandboxes.count must be a whole number, 0 or more; got ${count}.`,
      );
    }
    this.repo = this.createRepo(name, args);
    this.template = this.createTemplate(name, args);
    this.sandboxResources = Array.from({ length: count }, (_, i) =>
      this.createSandbox(name, i, args),
    );
    this.sandboxes = pulumi.all(
      this.sandboxResources.map((s) =>
        pulumi
          .all([s.name, s.sandboxId, s.bookmarks, s.mountPaths, s.workspace, this.repo.name])
          .apply(([sandboxName, sandboxId, bookmarks, paths, workspace, repoName]) => ({
            name: sandboxName,
            sandboxId,
            bookmark: bookmarks[repoName],
            mountPath: paths[repoName],
            ...(workspace?.[repoName] ? { workspace: workspace[repoName] } : {}),
          })),
      ),
    );
    this.mountPaths = this.sandboxes.apply((list) =>
      Object.fromEntries(list.map((s) => [s.name, s.mountPath])),
    );
    this.workspaces = this.sandboxes.apply((list) =>
      Object.fromEntries(list.flatMap((s) => (s.workspace ? [[s.name, s.workspace]] : []))),
    );
    this.registerOutputs({
      repo: this.repo,
      template: this.template,
      sandboxes: this.sandboxes,
      mountPaths: this.mountPaths,
      workspaces: this.workspaces,
    });
  }

  private createRepo(name: string, args: AgentEnvironmentArgs): MesaRepo {
    const repoArgs: MesaRepoArgs = { ...args.repo };
    const repoOpts: pulumi.CustomResourceOptions = {
      parent: this,
      protect: args.protectRepo ?? true,
    };
    applyTransform(args.transform?.repo, repoArgs, repoOpts, `${name}-repo`);
    return new this.kit.MesaRepo(`${name}-repo`, repoArgs, repoOpts);
  }

  private createTemplate(name: string, args: AgentEnvironmentArgs): SuperserveTemplate {
    const install = args.installMesaCli ?? targetsRealSuperserve();
    const steps: pulumi.Input<pulumi.Input<SuperserveTemplateStep>[]> = install
      ? pulumi.output(args.template.steps ?? []).apply((list) => [...list, { run: INSTALLER }])
      : (args.template.steps ?? []);
    const templateArgs: SuperserveTemplateArgs = { ...args.template, steps };
    const templateOpts: pulumi.CustomResourceOptions = { parent: this };
    applyTransform(args.transform?.template, templateArgs, templateOpts, `${name}-template`);
    return new this.kit.SuperserveTemplate(`${name}-template`, templateArgs, templateOpts);
  }

  private createSandbox(name: string, index: number, args: AgentEnvironmentArgs): MountedSandbox {
    const { count: _count, bookmark, ...shared } = args.sandboxes ?? {};
    const childName = `${name}-sandbox-${index}`;
    const sandboxArgs: MountedSandboxArgs = {
      ...shared,
      template: this.template,
      repos: [{ repo: this.repo, bookmark }],
    };
    const sandboxOpts: pulumi.CustomResourceOptions = { parent: this };
    applyTransform(args.transform?.sandbox, sandboxArgs, sandboxOpts, childName);
    return new this.kit.MountedSandbox(childName, sandboxArgs, sandboxOpts);
  }
}
