import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../shared/atomic-write";
import type { Clock } from "../shared/clock";
import { tighten } from "../shared/data-dir";
import { hashApiKey } from "./auth";
import type { IdGenerator } from "./ids";
import type { MetadataStore, OrgRecord } from "./store";

/** Slug of the organization created on first start. */
const LOCAL_ORG = "local";
/** File (mode 0600) in the data dir holding the raw admin key, for `pulumi-superserve-mesa-local status`. */
const ADMIN_KEY_FILE = "admin-key";

/**
 * Ensures org `local` and its admin key (scopes read, write, admin) exist. The raw key lives only
 * in `<dataDir>/admin-key`; the database holds its derived hash. Returns the org and raw key.
 */
export async function ensureLocalOrg(
  dataDir: string,
  deps: { store: MetadataStore; ids: IdGenerator; clock: Clock },
): Promise<{ org: OrgRecord; apiKey: string }> {
  const { store, ids, clock } = deps;
  let org = store.orgBySlug(LOCAL_ORG);
  if (!org) {
    org = {
      id: ids.id("org"),
      slug: LOCAL_ORG,
      name: "Local",
      createdAt: new Date(clock.now()).toISOString(),
    };
    store.insertOrg(org);
  }
  const file = join(dataDir, ADMIN_KEY_FILE);
  tighten(file, 0o600);
  let apiKey = await readFile(file, "utf8").then(
    (s) => s.trim(),
    () => "",
  );
  if (!apiKey) {
    apiKey = ids.apiKey();
    writeFileAtomic(file, `${apiKey}\n`, { mode: 0o600 });
  }
  if (!store.apiKeyByHash(hashApiKey(apiKey))) {
    store.insertApiKey({
      id: ids.id("key"),
      orgId: org.id,
      name: "local-admin",
      keyHash: hashApiKey(apiKey),
      scopes: ["read", "write", "admin"],
      repoIds: null,
      tags: {},
      expiresAt: null,
      revokedAt: null,
      createdAt: new Date(clock.now()).toISOString(),
    });
  }
  return { org, apiKey };
}
