/**
 * Writes the endpoints file of the running local backends. Its location and shape are the
 * provider package's contract (its `pulumi-superserve-mesa/local-endpoints` export), which the
 * providers read to find the embedded default when no credentials are configured.
 */
import { endpointsPath, type LocalEndpoints } from "pulumi-superserve-mesa/local-endpoints";
import { writeFileAtomic } from "./shared/atomic-write";

/** Atomically write the endpoints file, readable by the owner only (it holds API keys). */
export function writeLocalEndpoints(localDir: string, endpoints: LocalEndpoints): void {
  writeFileAtomic(endpointsPath(localDir), JSON.stringify(endpoints, null, 2) + "\n", {
    mode: 0o600,
  });
}
