import * as pulumi from "@pulumi/pulumi";
import { CONFIG_KEYS, CONFIG_NAMESPACE, isSuperserveHost } from "./config";
import type { MesaRepoArgs } from "./mesa-repo/args";
import { MesaRepo } from "./mesa-repo/resource";
import type { MountedSandboxArgs } from "./mounted-sandbox/args";
import { INSTALLER } from "./mounted-sandbox/mount-commands";
import { MountedSandbox } from "./mounted-sandbox/resource";
import type { RepoWorkspace } from "./mounted-sandbox/state";
import { shellQuote } from "./shell-quote";
import type { SandboxCommandArgs } from "./sandbox-command/args";
import { SandboxCommand } from "./sandbox-command/resource";
import type { CommandStatus } from "./sandbox-command/state";
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
   * bookmarks. With `agent.tasks`, the count is the number of tasks (leave `count` unset, or equal).
   * @default 1, or the number of `agent.tasks`
   */
  count?: number;
  /**
   * Bookmark the sandboxes' forks start from.
   * @default the repo's default bookmark
   */
  bookmark?: pulumi.Input<string>;
}

/** The agent every sandbox runs. */
export interface AgentArgs {
  /**
   * The agent's command, started in the background in each sandbox's mount (a `SandboxCommand`
   * with `background: true`), with `AGENT_TASK` (its sandbox's task) and `AGENT_INDEX` (the
   * sandbox's index, from 0) in its environment. It runs on after `pulumi up`; refresh reads its
   * status (see `agents`). The vendors' guide's third step: give the agent's API key as a
   * Superserve secret bound on the sandboxes (`sandboxes.secrets`), so it never enters a sandbox.
   *
   * Caution: changing it starts every agent again.
   * @example
   * ```ts
   * {
   *   agent: { command: 'claude -p "$AGENT_TASK"', tasks: ["Implement the feature described in TODO.md", "Write its tests"] },
   *   sandboxes: { secrets: { ANTHROPIC_API_KEY: "anthropic" } },
   * }
   * ```
   */
  command: pulumi.Input<string>;
  /**
   * One task per sandbox (its `AGENT_TASK`): the sandbox count is `tasks.length` (an explicit
   * `sandboxes.count` must then match). Changing one task starts that sandbox's agent again, and
   * only it; removing the last task removes its sandbox and keeps its bookmark.
   * @default every sandbox's `AGENT_TASK` is empty
   */
  tasks?: pulumi.Input<string>[];
  /**
   * More environment variables of the agent. The values are stored encrypted and never printed.
   *
   * Caution: changing them starts every agent again.
   * @default `{}`
   */
  environment?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /**
   * Lines of each agent's output kept in `agents[<sandbox>].logTail`.
   * @default 50
   */
  logLines?: pulumi.Input<number>;
}

/** What one sandbox's agent is doing, as last created, updated or refreshed. */
export interface AgentInfo {
  /** Its task (`AGENT_TASK`). */
  task: string;
  /** `running`, `exited`, `lost` (the next `pulumi up` starts it again) or `paused` (its sandbox is paused: not read). */
  status: CommandStatus;
  /** Its exit code, once exited. */
  exitCode?: number;
  startedAt: string;
  finishedAt?: string;
  /** The last lines of its output. */
  logTail: string;
  /**
   * When its mount's access token expires: the mount fails closed then, until a `pulumi up` signs a
   * new one and remounts (the agent keeps running). Size `sandboxes.tokenTtlSeconds` for the
   * agent's run, or schedule `pulumi up`.
   */
  tokenExpiresAt: string;
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
   * The agent each sandbox runs in its mount: the guide's third step, declared.
   * @default no agent: the sandboxes wait for work
   * @example
   * ```ts
   * {
   *   agent: {
   *     command: 'claude "Implement the feature described in TODO.md"',
   *     tasks: ["the parser", "the CLI", "the docs"],
   *   },
   * }
   * ```
   */
  agent?: AgentArgs;
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

/**
 * The sandbox count: `tasks.length` when the agent has tasks (an explicit, different
 * `sandboxes.count` is an error naming both), else `sandboxes.count` (default 1).
 */
function sandboxCount(name: string, args: AgentEnvironmentArgs): number {
  const tasks = args.agent?.tasks;
  const count = args.sandboxes?.count;
  if (tasks !== undefined && count !== undefined && count !== tasks.length)
    throw new Error(
      `AgentEnvironment ${name}: sandboxes.count is ${count} but agent.tasks lists ${tasks.length} tasks; each sandbox runs one task, so remove sandboxes.count or make the two agree.`,
    );
  const n = tasks?.length ?? count ?? 1;
  if (!Number.isInteger(n) || n < 0) {
    throw new Error(
      `AgentEnvironment ${name}: sandboxes.count must be a whole number, 0 or more; got ${n}.`,
    );
  }
  return n;
}

/** The agent's command with its task and index exported first (visible in the plan: a changed task re-runs that agent). */
function agentCommand(command: string, task: string, index: number): string {
  return `export AGENT_TASK=${shellQuote(task)} AGENT_INDEX=${index}\n${command}`;
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
 * passes its plugin-backed classes (see `plugin/resources.ts`), so both hosts build the component
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
  SandboxCommand: new (
    name: string,
    args: SandboxCommandArgs,
    opts?: pulumi.CustomResourceOptions,
  ) => SandboxCommand;
}

/** The kit of TypeScript programs: dynamic resources. */
export const DYNAMIC_CHILDREN: AgentEnvironmentKit = {
  type: "pulumi-superserve-mesa:index:AgentEnvironment",
  MesaRepo,
  SuperserveTemplate,
  MountedSandbox,
  SandboxCommand,
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
  const { superserveApiKey, superserveBaseUrl } = CONFIG_KEYS;
  const key = config.get("superserveApiKey") ?? env[superserveApiKey.env];
  if (!key?.trim()) return false;
  const baseUrl = (config.get("superserveBaseUrl") ?? env[superserveBaseUrl.env])?.trim();
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
 *   agent: { command: "my-agent", tasks: ["the parser", "the CLI", "the docs"] }, // count: 3
 * });
 * export const mounts = env.mountPaths;
 * export const agents = env.agents; // sandbox name → { task, status, exitCode, logTail, … }
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
  /** The agents' commands, one per sandbox in order (empty without `agent`). */
  readonly agentCommands: SandboxCommand[];
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
  /**
   * Sandbox name → its agent: `{ task, status, exitCode, startedAt, finishedAt, logTail,
   * tokenExpiresAt }`, as last created, updated or refreshed (`npm run refresh`); empty without
   * `agent`. An agent running, finishing or failing is not drift.
   */
  readonly agents: pulumi.Output<Record<string, AgentInfo>>;

  private readonly kit: AgentEnvironmentKit;

  constructor(
    name: string,
    args: AgentEnvironmentArgs,
    opts?: pulumi.ComponentResourceOptions,
    kit: AgentEnvironmentKit = DYNAMIC_CHILDREN,
  ) {
    super(kit.type, name, {}, opts);
    this.kit = kit;
    const count = sandboxCount(name, args);
    this.repo = this.createRepo(name, args);
    this.template = this.createTemplate(name, args);
    this.sandboxResources = Array.from({ length: count }, (_, i) =>
      this.createSandbox(name, i, args),
    );
    this.agentCommands = args.agent
      ? this.sandboxResources.map((s, i) => this.createAgent(name, i, s, args.agent!))
      : [];
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
    this.agents = pulumi
      .all(
        this.agentCommands.map((agent, i) =>
          pulumi
            .all([
              this.sandboxResources[i].name,
              args.agent?.tasks?.[i] ?? "",
              agent.status,
              agent.exitCode,
              agent.startedAt,
              agent.finishedAt,
              agent.logTail,
              this.sandboxResources[i].tokenExpiresAt,
            ])
            .apply(
              ([
                sandboxName,
                task,
                status,
                exitCode,
                startedAt,
                finishedAt,
                logTail,
                tokenExpiresAt,
              ]) =>
                [
                  sandboxName,
                  {
                    task,
                    status,
                    ...(exitCode !== undefined && exitCode !== null && { exitCode }),
                    startedAt,
                    ...(finishedAt && { finishedAt }),
                    logTail,
                    tokenExpiresAt,
                  },
                ] as const,
            ),
        ),
      )
      .apply((entries) => Object.fromEntries(entries));
    this.registerOutputs({
      agents: this.agents,
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

  private createAgent(
    name: string,
    index: number,
    sandbox: MountedSandbox,
    agent: AgentArgs,
  ): SandboxCommand {
    const task = agent.tasks?.[index] ?? "";
    return new this.kit.SandboxCommand(
      `${name}-agent-${index}`,
      {
        sandbox,
        create: pulumi
          .all([agent.command, task])
          .apply(([command, text]) => agentCommand(command, text, index)),
        environment: agent.environment,
        background: true,
        logLines: agent.logLines,
      },
      { parent: this },
    );
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
