/** The variables through which the providers and the SDKs find credentials and endpoints. */
const CREDENTIAL_VARIABLES = [
  "MESA_API_KEY",
  "MESA_API_URL",
  "MESA_ORG",
  "SUPERSERVE_API_KEY",
  "SUPERSERVE_BASE_URL",
];

/**
 * `env` without any credential or endpoint variable (nor the `extra` ones), so that what a test
 * starts finds only what the test hands it.
 */
export function withoutCredentials(
  env: NodeJS.ProcessEnv,
  extra: string[] = [],
): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const key of [...CREDENTIAL_VARIABLES, ...extra]) delete out[key];
  return out;
}

/** The environment that points the providers at local backends: their API keys and URLs. */
export function localBackendEnv(
  mesa: { apiKey: string; url: string },
  superserve: { apiKey: string; url: string },
): Record<string, string> {
  return {
    MESA_API_KEY: mesa.apiKey,
    MESA_API_URL: mesa.url,
    SUPERSERVE_API_KEY: superserve.apiKey,
    SUPERSERVE_BASE_URL: superserve.url,
  };
}
