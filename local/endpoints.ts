/**
 * The endpoints file of the running local backends: `<localDir>/endpoints.json` (mode 0600).
 * Written by `npm run local -- start`, read by `status` and by the providers to find the embedded
 * default when no credentials are configured.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { writeFileAtomic } from "./shared/atomic-write";

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

/** The local data directory: `$PSM_LOCAL_DIR`, else `<cwd>/.local-data`. */
export function defaultLocalDir(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  return resolve(env.PSM_LOCAL_DIR || join(cwd, ".local-data"));
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

/** Atomically write the endpoints file, readable by the owner only (it holds API keys). */
export function writeLocalEndpoints(localDir: string, endpoints: LocalEndpoints): void {
  const path = endpointsPath(localDir);
  writeFileAtomic(path, JSON.stringify(endpoints, null, 2) + "\n", { mode: 0o600 });
}
