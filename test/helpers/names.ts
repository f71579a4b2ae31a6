import { randomUUID } from "node:crypto";

/**
 * A name no other test, nor another run of this one, uses: `<prefix>-<8 hex digits>`, valid as a
 * repo, template, sandbox, bookmark or resource name.
 *
 * @example
 * const repo = uniqueName("ws"); // "ws-3f9a0c1d"
 */
export function uniqueName(prefix = "test"): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}
