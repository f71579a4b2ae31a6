import { placeholderFor, type BoundSecret } from "../egress";
import type { SandboxRecord } from "../store/records";
import type { SuperserveStore } from "../store/store";

/**
 * The secrets bound to `sandboxId` that still exist, each with the placeholder the sandbox holds
 * for it: what the egress layer swaps toward the secrets' hosts. None for a build sandbox.
 */
export function boundSecrets(store: SuperserveStore, sandboxId: string): BoundSecret[] {
  const s = store.getSandbox(sandboxId);
  if (!s) return [];
  return Object.entries(s.secrets).flatMap(([envKey, name]) => {
    const secret = store.getSecret(name);
    const placeholder = s.secret_placeholders?.[envKey];
    return secret && placeholder ? [{ envKey, placeholder, secret }] : [];
  });
}

/**
 * `s` with a placeholder for every bound secret that has none yet (a new binding, or a sandbox
 * of a data dir from before placeholders), shaped like the secret's current value. Existing
 * placeholders are kept: a rotation changes the value swapped in, never what the sandbox holds.
 */
export function withPlaceholders(store: SuperserveStore, s: SandboxRecord): SandboxRecord {
  const placeholders = { ...s.secret_placeholders };
  for (const [envKey, name] of Object.entries(s.secrets)) {
    const secret = store.getSecret(name);
    if (secret && placeholders[envKey] === undefined)
      placeholders[envKey] = placeholderFor(secret.value);
  }
  for (const envKey of Object.keys(placeholders))
    if (!(envKey in s.secrets)) delete placeholders[envKey];
  return { ...s, secret_placeholders: placeholders };
}
