import type { SecretRecord } from "../../../local/superserve/store/records";

/**
 * A secret as the local Superserve's store keeps it: a bearer secret for `api.example.test` with
 * a fresh id, and `over` applied.
 *
 * @example
 * const s = secretRecord({ name: "gh", value: "ghp_…" });
 */
export const secretRecord = (over: Partial<SecretRecord> = {}): SecretRecord => ({
  id: `sec-${Math.random().toString(36).slice(2)}`,
  name: "s",
  value: "sk-test-0123456789abcdefABCDEF",
  auth_type: "bearer",
  auth_config: {},
  provider_shortcut: null,
  hosts: ["api.example.test"],
  created_at: "2030-01-01T00:00:00.000Z",
  updated_at: "2030-01-01T00:00:00.000Z",
  ...over,
});
