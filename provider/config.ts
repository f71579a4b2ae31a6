/**
 * Credentials and endpoints, resolved at call time inside the provider process (never captured by
 * the serialized provider). For each value the first source that has it wins:
 *
 * 1. stack config, namespace `pulumi-superserve-mesa:` (secret values arrive decrypted in the
 *    dynamic provider's `configure`): `mesaApiKey`, `mesaOrg`, `mesaApiUrl`, `superserveApiKey`,
 *    `superserveBaseUrl`;
 * 2. environment variables: `MESA_API_KEY`, `MESA_ORG`, `MESA_API_URL`, `SUPERSERVE_API_KEY`,
 *    `SUPERSERVE_BASE_URL`;
 * 3. the local backends' `endpoints.json` (`$PSM_LOCAL_DIR`, else `<project dir>/.local-data`; the
 *    file and its location are defined in `./local-endpoints.ts`),
 *    used only when no API key is configured, the backend answers, and the stack config does not
 *    set `localBackends: false`.
 */
import { connect } from "node:net";
import { defaultLocalDir, readLocalEndpoints, type LocalEndpoints } from "./local-endpoints";

/** Config namespace of this package. */
export const CONFIG_NAMESPACE = "pulumi-superserve-mesa";

/** Where a stack config value comes from (the dynamic provider's `configure` request). */
export interface ConfigSource {
  get(key: string): string | undefined;
}

/** Everything resolution reads, injectable for tests. */
export interface ConfigInputs {
  config?: ConfigSource;
  env: NodeJS.ProcessEnv;
  /** Directory searched for `.local-data/endpoints.json` when `PSM_LOCAL_DIR` is unset. */
  cwd: string;
  /** Whether a local endpoint accepts connections (default: a TCP connect with a short timeout). */
  answers?: (url: string) => Promise<boolean>;
}

/** Which source supplied the API key. */
export type CredentialSource = "stack config" | "environment" | "local backends";

export interface MesaSettings {
  apiKey: string;
  /** Undefined means the SDK's default (`https://api.mesa.dev/v1`). */
  apiUrl?: string;
  /** Undefined means "the API key's org" (whoami). */
  org?: string;
  source: CredentialSource;
}

export interface SuperserveSettings {
  apiKey: string;
  /** Undefined means the SDK's default (derived from the key's region). */
  baseUrl?: string;
  /**
   * Origin the SDK's data plane (`*.superserve.ai`) must be routed to; set only when the base URL
   * is not a superserve.ai host (the local backend or another self-hosted endpoint).
   */
  dataPlaneOrigin?: string;
  source: CredentialSource;
}

/** Thrown when no credentials are configured and no local backend answers. */
export class MissingCredentialsError extends Error {
  constructor(
    readonly service: Service,
    readonly localAllowed = true,
  ) {
    super(missingCredentialsMessage([service], localAllowed));
    this.name = "MissingCredentialsError";
  }
}

type Service = "Mesa" | "Superserve";

const CREDENTIALS: Record<Service, { env: string; config: string }> = {
  Mesa: { env: "MESA_API_KEY", config: "mesaApiKey" },
  Superserve: { env: "SUPERSERVE_API_KEY", config: "superserveApiKey" },
};

/** One message for every service without credentials: what to set, or what to start. */
export function missingCredentialsMessage(services: readonly Service[], localAllowed: boolean): string {
  const envs = services.map((s) => CREDENTIALS[s].env).join(" and ");
  const configs = services.map((s) => `\`pulumi config set --secret ${CONFIG_NAMESPACE}:${CREDENTIALS[s].config} …\``).join(" and ");
  return (
    `No ${services.join(" or ")} credentials. Set ${envs} (or ${configs})` +
    (localAllowed
      ? ", or start the local backends with `npm run local -- start`."
      : `. This stack does not fall back to the local backends (${CONFIG_NAMESPACE}:localBackends is false).`)
  );
}

function pick(inputs: ConfigInputs, configKey: string, envKey: string): { value: string; source: CredentialSource } | undefined {
  const fromConfig = inputs.config?.get(`${CONFIG_NAMESPACE}:${configKey}`)?.trim();
  if (fromConfig) return { value: fromConfig, source: "stack config" };
  const fromEnv = inputs.env[envKey]?.trim();
  if (fromEnv) return { value: fromEnv, source: "environment" };
  return undefined;
}

/**
 * Whether the local backends may be used when no API key is configured: not when the stack config
 * sets `pulumi-superserve-mesa:localBackends: false` (stacks meant for the real services), so such
 * a stack never deploys to a developer's local backends by accident.
 */
function localBackendsAllowed(inputs: ConfigInputs): boolean {
  return inputs.config?.get(`${CONFIG_NAMESPACE}:localBackends`)?.trim() !== "false";
}

/**
 * The running local backends' endpoints (see `./local-endpoints.ts`), or undefined when there is no
 * readable endpoints file (a missing or corrupt file means "no local backends", never an error) or
 * the stack does not allow them.
 */
function localEndpoints(inputs: ConfigInputs): Partial<LocalEndpoints> | undefined {
  if (!localBackendsAllowed(inputs)) return undefined;
  try {
    return readLocalEndpoints(defaultLocalDir(inputs.env, inputs.cwd));
  } catch {
    return undefined;
  }
}

/** True when something accepts TCP connections at the URL's host and port (no HTTP request is sent). */
export function tcpAnswers(url: string, timeoutMs = 1500): Promise<boolean> {
  const u = new URL(url);
  const port = Number(u.port || (u.protocol === "https:" ? 443 : 80));
  return new Promise((resolve) => {
    const socket = connect({ host: u.hostname, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/** Resolve the Mesa API key, URL and org; throws {@link MissingCredentialsError} when there are none. */
export async function resolveMesaSettings(inputs: ConfigInputs): Promise<MesaSettings> {
  const key = pick(inputs, "mesaApiKey", "MESA_API_KEY");
  const url = pick(inputs, "mesaApiUrl", "MESA_API_URL");
  const org = pick(inputs, "mesaOrg", "MESA_ORG");
  if (key) return { apiKey: key.value, apiUrl: url?.value, org: org?.value, source: key.source };
  const local = localEndpoints(inputs)?.mesa;
  if (local?.apiKey && local.url && (await (inputs.answers ?? tcpAnswers)(local.url))) {
    return { apiKey: local.apiKey, apiUrl: url?.value ?? local.url, org: org?.value ?? local.org, source: "local backends" };
  }
  throw new MissingCredentialsError("Mesa", localBackendsAllowed(inputs));
}

/** Resolve the Superserve API key and base URL; throws {@link MissingCredentialsError} when there are none. */
export async function resolveSuperserveSettings(inputs: ConfigInputs): Promise<SuperserveSettings> {
  const key = pick(inputs, "superserveApiKey", "SUPERSERVE_API_KEY");
  const url = pick(inputs, "superserveBaseUrl", "SUPERSERVE_BASE_URL");
  let settings: Omit<SuperserveSettings, "dataPlaneOrigin"> | undefined;
  if (key) settings = { apiKey: key.value, baseUrl: url?.value, source: key.source };
  else {
    const local = localEndpoints(inputs)?.superserve;
    if (local?.apiKey && local.url && (await (inputs.answers ?? tcpAnswers)(local.url))) {
      settings = { apiKey: local.apiKey, baseUrl: url?.value ?? local.url, source: "local backends" };
    }
  }
  if (!settings) throw new MissingCredentialsError("Superserve", localBackendsAllowed(inputs));
  const baseUrl = settings.baseUrl?.replace(/\/+$/, "");
  return { ...settings, baseUrl, dataPlaneOrigin: baseUrl && !isSuperserveHost(baseUrl) ? new URL(baseUrl).origin : undefined };
}

function isSuperserveHost(url: string): boolean {
  const host = new URL(url).hostname;
  return host === "superserve.ai" || host.endsWith(".superserve.ai");
}
