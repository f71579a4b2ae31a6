/**
 * The contract between the providers and the local backends: where the running backends publish
 * their endpoints (`<localDir>/endpoints.json`, mode 0600) and what the file holds. The providers
 * read it to find the embedded default when no credentials are configured; the local backends'
 * package (`pulumi-superserve-mesa-local`) writes it on start and imports this module for the
 * location and the shape, so both sides agree by construction.
 *
 * Node built-ins only: the local backends' command loads this module on its own, through the
 * package's `pulumi-superserve-mesa/local-endpoints` export, without `@pulumi/pulumi`.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

export interface LocalEndpoints {
  /** PID of the process serving both backends. */
  pid: number;
  /** Data directory of the backends. */
  dataDir: string;
  mesa: {
    /** REST API base, e.g. `http://127.0.0.1:7780/v1` (the SDK's `apiUrl`). */
    url: string;
    org: string;
    /** The local admin API key. */
    apiKey: string;
  };
  superserve: {
    /** Control-plane base URL (the SDK's `baseUrl`). */
    url: string;
    apiKey: string;
  };
}

/** Environment variable naming the local backends' data directory. */
export const LOCAL_DIR_ENV = "PSM_LOCAL_DIR";

/** The local data directory: `$PSM_LOCAL_DIR`, else `<cwd>/.local-data`. */
export function defaultLocalDir(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  return resolve(env[LOCAL_DIR_ENV] || join(cwd, ".local-data"));
}

export function endpointsPath(localDir: string): string {
  return join(localDir, "endpoints.json");
}

/** The endpoints of the local backends, or undefined when they were never started here. */
export function readLocalEndpoints(localDir: string): LocalEndpoints | undefined {
  const path = endpointsPath(localDir);
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, "utf8")) as LocalEndpoints;
}
