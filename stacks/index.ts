/**
 * The agent environment of this project, one stack per environment (local, cloud, dev, ci, prod…):
 * everything that differs between them is stack config in stacks/Pulumi.<stack>.yaml.
 */
import * as pulumi from "@pulumi/pulumi";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { AgentEnvironment, type SuperserveTemplateArgs } from "pulumi-superserve-mesa";

const config = new pulumi.Config();

/** The guide's third step: the agent each sandbox runs in its mount. */
const AGENT_COMMAND = 'claude "Implement the feature described in TODO.md"';

const count = config.getNumber("sandboxCount", { min: 0, max: 200 }) ?? 2;
/** Each sandbox's own task (`AGENT_TASK`): the configured ones, then one part of the feature each. */
const configuredTasks = config.getObject<string[]>("agentTasks") ?? [];
const tasks = Array.from(
  { length: count },
  (_, i) => configuredTasks[i] ?? `Implement part ${i + 1} of the feature described in TODO.md`,
);

/**
 * With `agentStandIn` (the local stack), the template's last step installs the project's stand-in
 * for `claude` (stacks/stand-in-agent.sh): the agent command runs as written, without a model.
 */
function withStandIn(template: SuperserveTemplateArgs): SuperserveTemplateArgs {
  if (!config.getBoolean("agentStandIn")) return template;
  const script = readFileSync(join(__dirname, "stand-in-agent.sh")).toString("base64");
  const install = `printf '%s' '${script}' | base64 -d > /usr/local/bin/claude && chmod 755 /usr/local/bin/claude`;
  return {
    ...template,
    steps: pulumi.output(template.steps ?? []).apply((steps) => [...steps, { run: install }]),
  };
}

const env = new AgentEnvironment("agents", {
  repo: {
    name: config.get("repoName"),
    tags: { stack: pulumi.getStack(), project: pulumi.getProject() },
    forceDestroy: config.getBoolean("forceDestroy"),
  },
  template: withStandIn(config.requireObject<SuperserveTemplateArgs>("template")),
  agent: { command: AGENT_COMMAND, tasks },
  sandboxes: {
    tokenTtlSeconds: config.getNumber("tokenTtlSeconds", { min: 60, max: 86_400 }),
    metadata: { stack: pulumi.getStack() },
    // The agent's key as a Superserve secret, swapped in at egress: never in a sandbox or the state.
    secrets: config.get("anthropicSecret")
      ? { ANTHROPIC_API_KEY: config.require("anthropicSecret") }
      : undefined,
  },
  protectRepo: config.getBoolean("protectRepo"),
});

/** The Mesa repo the agents work in. */
export const repo = { id: env.repo.id, org: env.repo.org, name: env.repo.name };
/** The template the sandboxes boot from. */
export const template = {
  id: env.template.id,
  name: env.template.name,
  buildId: env.template.buildId,
};
/** Per sandbox: id, bookmark, where the repo is mounted inside it and what its agent did there. */
export const sandboxes = env.sandboxes;
/** Sandbox name → what its agent did: head change, changes and files changed since its fork (refreshed by `npm run drift`). */
export const workspaces = env.workspaces;
/** Sandbox name → its agent: task, status (`running`, `exited`…), exit code, log tail, token expiry (refreshed by `npm run refresh`). */
export const agents = env.agents;
/** The agents' SandboxCommand ids, in sandbox order (their directories in the sandboxes; read by the proof). */
export const agentCommandIds = env.agentCommands.map((agent) => agent.id);
