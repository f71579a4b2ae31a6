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
