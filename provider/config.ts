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
 *
 * The Mesa URL is the provider's. A sandbox's `mesa` CLI gets it as `MESA_API_URL` only when it is
 * a custom Mesa: with the local backends (both on loopback) a sandbox reaches the local Mesa under
 * the CLI's default host through the local Superserve's egress layer, as on the real service (see
 * `sandboxMesaApiUrl` in `./mounted-sandbox/mount-commands.ts`).
 */
import { connect } from "node:net";
import {
  defaultLocalDir,
  endpointsPath,
  LOCAL_DIR_ENV,
  readLocalEndpoints,
  type LocalEndpoints,
} from "./local-endpoints";

/** Config namespace of this package. */
export const CONFIG_NAMESPACE = "pulumi-superserve-mesa";

/** One configuration key of the providers: its type, whether it is secret, and its variable. */
export interface ConfigKeySpec {
  type: "string" | "boolean";
  /** A credential: set it with `pulumi config set --secret`; never shown in plain text. */
  secret?: boolean;
  /** The environment variable read when the stack config does not set the key. */
  env?: string;
  description: string;
}

/**
 * Every configuration key the providers read, in the namespace `pulumi-superserve-mesa`
 * (TypeScript) or `superserve-mesa` (the provider plugin, every other language). The one list:
 * resolution below reads these keys and variables, and the plugin's schema declares them
 * (`config.variables` and the provider's inputs, `scripts/schema.ts`).
 */
export const CONFIG_KEYS = {
  mesaApiKey: {
    type: "string",
    secret: true,
    env: "MESA_API_KEY",
    description: "The Mesa API key. Unset: the local backends' key, when they are running.",
  },
  mesaOrg: {
    type: "string",
    env: "MESA_ORG",
    description: "The Mesa org of repos given without one. Unset: the org of the API key.",
  },
  mesaApiUrl: {
    type: "string",
    env: "MESA_API_URL",
    description:
      "The Mesa API URL. Unset: the SDK's default (`https://api.mesa.dev/v1`), or the local backends' when their key is used.",
  },
  superserveApiKey: {
    type: "string",
    secret: true,
    env: "SUPERSERVE_API_KEY",
    description: "The Superserve API key. Unset: the local backends' key, when they are running.",
  },
  superserveBaseUrl: {
    type: "string",
    env: "SUPERSERVE_BASE_URL",
    description:
      "The Superserve API base URL. Unset: the SDK's default (from the key's region), or the local backends' when their key is used.",
  },
  localBackends: {
    type: "boolean",
    description:
      "`false` keeps the stack off the local backends: with no API key configured it fails instead of using them (for stacks meant for the real services). Default: true.",
  },
} as const satisfies Record<string, ConfigKeySpec>;

export type ConfigKey = keyof typeof CONFIG_KEYS;

/** The full name of a configuration key in this package's namespace (`pulumi-superserve-mesa:<key>`). */
export const configName = (key: ConfigKey) => `${CONFIG_NAMESPACE}:${key}`;

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
type CredentialSource = "stack config" | "environment" | "local backends";

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

/**
 * Where the local backends were looked for, and why they supplied no credentials (for the
 * missing-credentials message).
 */
export interface LocalLookup {
  /** The endpoints file read (`$PSM_LOCAL_DIR/endpoints.json`, else `<cwd>/.local-data/endpoints.json`). */
  path: string;
  /** `PSM_LOCAL_DIR` as set; undefined when unset. */
  localDirEnv?: string;
  /** False when the stack sets `localBackends: false` (the file is then not read). */
  allowed: boolean;
  /** What was found instead of a usable endpoint, e.g. "no such file". */
  finding: string;
}

/** Thrown when no credentials are configured and no local backend answers. */
export class MissingCredentialsError extends Error {
  constructor(
    readonly service: Service,
    readonly lookup: LocalLookup,
  ) {
    super(missingCredentialsMessage([{ service, lookup }]));
    this.name = "MissingCredentialsError";
  }
}

type Service = "Mesa" | "Superserve";

const CREDENTIALS = {
  Mesa: { config: "mesaApiKey", local: "mesa" },
  Superserve: { config: "superserveApiKey", local: "superserve" },
} as const satisfies Record<Service, { config: ConfigKey; local: "mesa" | "superserve" }>;

const envOf = (service: Service) => CONFIG_KEYS[CREDENTIALS[service].config].env;

/** The command of the local backends' package (`pulumi-superserve-mesa-local`) that starts them. */
export const START_LOCAL_BACKENDS = "npx pulumi-superserve-mesa-local start";

const and = (items: readonly string[]) => items.join(" and ");

/**
 * One message for every service without credentials: every place looked in (stack config,
 * environment, the local backends' endpoints file and `PSM_LOCAL_DIR`), what was found there, and
 * what to set or start.
 */
export function missingCredentialsMessage(
  missing: readonly Pick<MissingCredentialsError, "service" | "lookup">[],
): string {
  const services = missing.map((m) => m.service);
  const envs = and(services.map(envOf));
  const configs = services.map((s) => configName(CREDENTIALS[s].config));
  const lookup = missing[0].lookup;
  const set = `Set ${envs} or run ${and(configs.map((c) => `\`pulumi config set --secret ${c} …\``))}`;
  const head = `No ${services.join(" or ")} credentials. Looked for ${and(configs.map((c) => `\`${c}\``))} (stack config), ${envs} (environment)`;
  if (!lookup.allowed) {
    return `${head}; the local backends are off for this stack (\`${configName("localBackends")}\` is false). ${set}.`;
  }
  const localDir =
    lookup.localDirEnv === undefined
      ? "PSM_LOCAL_DIR unset"
      : `PSM_LOCAL_DIR=${lookup.localDirEnv}`;
  const findings = [...new Set(missing.map((m) => m.lookup.finding))].join("; ");
  return (
    `${head} and the local backends' endpoints file ${lookup.path} (${localDir}): ${findings}. ${set}; ` +
    `or start the local backends with \`${START_LOCAL_BACKENDS}\` in the project directory, or set PSM_LOCAL_DIR to the data directory of backends already running.`
  );
}

/** A key's value from the stack config, else from its environment variable. */
function pick(
  inputs: ConfigInputs,
  key: Exclude<ConfigKey, "localBackends">,
): { value: string; source: CredentialSource } | undefined {
  const fromConfig = inputs.config?.get(configName(key))?.trim();
  if (fromConfig) return { value: fromConfig, source: "stack config" };
  const fromEnv = inputs.env[CONFIG_KEYS[key].env]?.trim();
  if (fromEnv) return { value: fromEnv, source: "environment" };
  return undefined;
}

/**
 * Whether the local backends may be used when no API key is configured: not when the stack config
 * sets `pulumi-superserve-mesa:localBackends: false` (stacks meant for the real services), so such
 * a stack never deploys to a developer's local backends by accident.
 */
function localBackendsAllowed(inputs: ConfigInputs): boolean {
  return inputs.config?.get(configName("localBackends"))?.trim() !== "false";
}

/**
 * A service's endpoint from the running local backends (see `./local-endpoints.ts`) when one is
 * published and answers; otherwise what the lookup found. A missing or corrupt file means "no
 * local backends", never an error (the parser's message is not kept: it may quote the file's keys).
 */
async function localEndpoint(
  inputs: ConfigInputs,
  service: Service,
): Promise<{ url: string; apiKey: string; org?: string } | LocalLookup> {
  const localDir = defaultLocalDir(inputs.env, inputs.cwd);
  const lookup = {
    path: endpointsPath(localDir),
    localDirEnv: inputs.env[LOCAL_DIR_ENV] || undefined,
    allowed: localBackendsAllowed(inputs),
  };
  if (!lookup.allowed) return { ...lookup, finding: "not read" };
  let endpoints: Partial<LocalEndpoints> | undefined;
  try {
    endpoints = readLocalEndpoints(localDir);
  } catch {
    return { ...lookup, finding: "unreadable (not the JSON the local backends write)" };
  }
  if (!endpoints) return { ...lookup, finding: "no such file" };
  const endpoint: Partial<LocalEndpoints["mesa"]> | undefined =
    endpoints[CREDENTIALS[service].local];
  if (!endpoint?.apiKey || !endpoint.url)
    return { ...lookup, finding: `no ${service} endpoint in it` };
  if (!(await (inputs.answers ?? tcpAnswers)(endpoint.url))) {
    return {
      ...lookup,
      finding: `nothing answers at its ${service} URL ${endpoint.url} (the backends of pid ${endpoints.pid} stopped?)`,
    };
  }
  return { url: endpoint.url, apiKey: endpoint.apiKey, org: endpoint.org };
}

const isLookup = (found: { url: string } | LocalLookup): found is LocalLookup => "finding" in found;

/** True when something accepts TCP connections at the URL's host and port (no HTTP request is sent). */
function tcpAnswers(url: string, timeoutMs = 1500): Promise<boolean> {
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
  const key = pick(inputs, "mesaApiKey");
  const url = pick(inputs, "mesaApiUrl");
  const org = pick(inputs, "mesaOrg");
  if (key) return { apiKey: key.value, apiUrl: url?.value, org: org?.value, source: key.source };
  const local = await localEndpoint(inputs, "Mesa");
  if (isLookup(local)) throw new MissingCredentialsError("Mesa", local);
  return {
    apiKey: local.apiKey,
    apiUrl: url?.value ?? local.url,
    org: org?.value ?? local.org,
    source: "local backends",
  };
}

/** Resolve the Superserve API key and base URL; throws {@link MissingCredentialsError} when there are none. */
export async function resolveSuperserveSettings(inputs: ConfigInputs): Promise<SuperserveSettings> {
  const key = pick(inputs, "superserveApiKey");
  const url = pick(inputs, "superserveBaseUrl");
  let settings: Omit<SuperserveSettings, "dataPlaneOrigin">;
  if (key) settings = { apiKey: key.value, baseUrl: url?.value, source: key.source };
  else {
    const local = await localEndpoint(inputs, "Superserve");
    if (isLookup(local)) throw new MissingCredentialsError("Superserve", local);
    settings = { apiKey: local.apiKey, baseUrl: url?.value ?? local.url, source: "local backends" };
  }
  const baseUrl = settings.baseUrl?.replace(/\/+$/, "");
  return {
    ...settings,
    baseUrl,
    dataPlaneOrigin: baseUrl && !isSuperserveHost(baseUrl) ? new URL(baseUrl).origin : undefined,
  };
}

/** True when the URL's host is superserve.ai or one of its subdomains (the real service). */
export function isSuperserveHost(url: string): boolean {
  const host = new URL(url).hostname;
  return host === "superserve.ai" || host.endsWith(".superserve.ai");
}
