/**
 * The plain-SDK script of `npm run bench:up` as a user would run it: its own Node process that
 * reads the endpoints from the environment (MESA_API_URL, MESA_API_KEY, MESA_ORG,
 * SUPERSERVE_BASE_URL, SUPERSERVE_API_KEY), loads the two SDKs and builds the environment (see
 * `up-direct.ts`). The bench bundles it with esbuild and runs it with plain `node`.
 *
 * Input: BENCH_DIRECT_SPEC (JSON {@link DirectSpec}). Output: one JSON line on stdout with the
 * result and `loadedMs`, the time from process start until the SDKs were loaded.
 */
import * as superserve from "@superserve/sdk";
import { routeDataPlaneTo } from "../provider/data-plane";
import { buildDirectly, type DirectSpec, type DirectTargets } from "./up-direct";

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set; the bench passes it to the direct script.`);
  return value;
}

async function main(): Promise<void> {
  const targets: DirectTargets = {
    mesa: {
      url: required("MESA_API_URL"),
      org: required("MESA_ORG"),
      apiKey: required("MESA_API_KEY"),
    },
    superserve: { url: required("SUPERSERVE_BASE_URL"), apiKey: required("SUPERSERVE_API_KEY") },
  };
  const spec = JSON.parse(required("BENCH_DIRECT_SPEC")) as DirectSpec;
  routeDataPlaneTo(new URL(targets.superserve.url).origin);
  const mesa = await import("@mesadev/sdk");
  const loadedMs = performance.now();
  const result = await buildDirectly({ mesa, superserve }, targets, spec);
  process.stdout.write(JSON.stringify({ ...result, loadedMs }) + "\n");
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
