/**
 * pulumi-superserve-mesa: Pulumi resources for AI-agent environments.
 */
import { persistCompileCache } from "./compile-cache"; // first: caches what loads after it
export { MesaRepo } from "./mesa-repo/resource";
export type { MesaRepoArgs, MesaRepoUpstreamAuth } from "./mesa-repo/args";
export { SuperserveTemplate } from "./superserve-template/resource";
export type { SuperserveTemplateArgs, SuperserveTemplateStep } from "./superserve-template/args";
export { MountedSandbox } from "./mounted-sandbox/resource";
export type { RepoWorkspace } from "./mounted-sandbox/workspace-progress";
export type {
  MountedSandboxArgs,
  MountedSandboxRepoArgs,
  MesaRepoRef,
  SuperserveTemplateRef,
} from "./mounted-sandbox/args";
export {
  AgentEnvironment,
  type AgentEnvironmentArgs,
  type AgentSandboxesArgs,
  type AgentSandboxInfo,
  type Transform,
} from "./agent-environment";

// Everything of the package and of @pulumi/pulumi's index is loaded: write it to the cache now,
// whatever way the program's process ends.
persistCompileCache();
