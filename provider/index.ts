/**
 * pulumi-superserve-mesa: Pulumi resources for AI-agent environments.
 */
export { MesaRepo, type MesaRepoArgs, type MesaRepoUpstreamAuth } from "./mesa-repo/resource";
export { SuperserveTemplate, type SuperserveTemplateArgs, type SuperserveTemplateStep } from "./superserve-template/resource";
export { MountedSandbox, type MountedSandboxArgs, type MountedSandboxRepoArgs, type MesaRepoRef, type SuperserveTemplateRef } from "./mounted-sandbox/resource";
export { AgentEnvironment, type AgentEnvironmentArgs, type AgentSandboxesArgs, type AgentSandboxInfo, type Transform } from "./agent-environment";
