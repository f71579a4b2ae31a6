/**
 * The agent environment of this project, one stack per environment (local, cloud, dev, ci, prod…):
 * everything that differs between them is stack config in stacks/Pulumi.<stack>.yaml.
 */
import * as pulumi from "@pulumi/pulumi";
import { AgentEnvironment, type SuperserveTemplateArgs } from "pulumi-superserve-mesa";

const config = new pulumi.Config();

const env = new AgentEnvironment("agents", {
  repo: {
    name: config.get("repoName"),
    tags: { stack: pulumi.getStack(), project: pulumi.getProject() },
    forceDestroy: config.getBoolean("forceDestroy"),
  },
  template: config.requireObject<SuperserveTemplateArgs>("template"),
  sandboxes: {
    count: config.getNumber("sandboxCount", { min: 0, max: 200 }) ?? 2,
    tokenTtlSeconds: config.getNumber("tokenTtlSeconds", { min: 60, max: 86_400 }),
    metadata: { stack: pulumi.getStack() },
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
