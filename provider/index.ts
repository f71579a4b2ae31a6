/**
 * pulumi-superserve-mesa: Pulumi resources for AI-agent environments.
 */
import "./compile-cache"; // first: caches the compilation of everything loaded after it
export { MesaRepo } from "./mesa-repo/resource";
export type { MesaRepoArgs, MesaRepoUpstreamAuth } from "./mesa-repo/args";
export { SuperserveTemplate } from "./superserve-template/resource";
export type { SuperserveTemplateArgs, SuperserveTemplateStep } from "./superserve-template/args";
export { MountedSandbox } from "./mounted-sandbox/resource";
export type { RepoWorkspace } from "./mounted-sandbox/state";
export type {
  MountedSandboxArgs,
  MountedSandboxRepoArgs,
  MesaRepoRef,
  SuperserveTemplateRef,
} from "./mounted-sandbox/args";
export { SandboxCommand } from "./sandbox-command/resource";
export type { SandboxCommandArgs, MountedSandboxRef } from "./sandbox-command/args";
export type { CommandStatus } from "./sandbox-command/state";
export {
  AgentEnvironment,
  type AgentArgs,
  type AgentEnvironmentArgs,
  type AgentInfo,
  type AgentSandboxesArgs,
  type AgentSandboxInfo,
  type Transform,
} from "./agent-environment";
