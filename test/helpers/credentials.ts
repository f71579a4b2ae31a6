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

/** What a running backend gives a client: its API key and its base URL. */
interface Endpoint {
  apiKey: string;
  url: string;
}

/**
 * The credential and endpoint variables that point the providers (and the SDKs) at running
 * backends: `MESA_API_KEY`/`MESA_API_URL` for `mesa`, `SUPERSERVE_API_KEY`/`SUPERSERVE_BASE_URL`
 * for `superserve` (each only when given).
 *
 * @example
 * createProvider(undefined, { env: credentialVariables({ mesa: localMesa }), … });
 */
export function credentialVariables({
  mesa,
  superserve,
}: {
  mesa?: Endpoint;
  superserve?: Endpoint;
}): Record<string, string> {
  return {
    ...(mesa && { MESA_API_KEY: mesa.apiKey, MESA_API_URL: mesa.url }),
    ...(superserve && {
      SUPERSERVE_API_KEY: superserve.apiKey,
      SUPERSERVE_BASE_URL: superserve.url,
    }),
  };
}
