import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The instance's API key: generated on first start and kept raw in `<dataDir>/api-key` (mode
 * 0600) so `pulumi-superserve-mesa-local status --json` can print it. Prefixed `ss_local_` so it can never
 * be mistaken for (or parsed by the SDK as) a region-tagged `ss_live_` key.
 */
export function loadOrCreateApiKey(dataDir: string): string {
  const file = join(dataDir, "api-key");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  const key = `ss_local_${randomBytes(24).toString("base64url")}`;
  writeFileSync(file, key + "\n", { mode: 0o600 });
  return key;
}
