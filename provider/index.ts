/**
 * pulumi-superserve-mesa: Pulumi resources for AI-agent environments.
 */
export { MesaRepo, type MesaRepoArgs, type MesaRepoUpstreamAuth } from "./mesa-repo";
export { SuperserveTemplate, type SuperserveTemplateArgs, type SuperserveTemplateStep } from "./superserve-template";
