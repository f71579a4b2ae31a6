/**
 * SuperserveTemplate `update`: every build input replaces the template, so an update only records
 * the inputs that never change it (build deadline, log verbosity).
 */
import type { SuperserveTemplateInputs, SuperserveTemplateOutputs } from "./state";

export async function updateTemplate(
  _id: string,
  olds: SuperserveTemplateOutputs,
  news: SuperserveTemplateInputs,
): Promise<SuperserveTemplateOutputs> {
  return {
    ...olds,
    buildTimeoutSeconds: news.buildTimeoutSeconds,
    verboseBuildLogs: news.verboseBuildLogs,
    adopt: news.adopt,
    pulumiUrn: news.pulumiUrn,
  };
}
