import { randomBytes, randomUUID } from "node:crypto";

/** The change id of the empty repository (JJ's virtual root). */
export const VIRTUAL_ROOT_CHANGE_ID = "z".repeat(32);

/** Generators of every identifier the backend hands out; inject fixed ones in tests. */
export interface IdGenerator {
  /** A JJ-style change id: 32 characters `k`–`z` ("reverse hex"). */
  changeId(): string;
  /** An opaque id with a readable prefix, e.g. `repo_…`, `key_…`. */
  id(prefix: string): string;
  /** A raw API key, `mesa_…`. */
  apiKey(): string;
  /** A UUID for trace ids. */
  uuid(): string;
}

/** Ids from the operating system's random source. */
export function randomIds(): IdGenerator {
  return {
    changeId: () =>
      Array.from(randomBytes(16))
        .map((b) => (b & 0xff).toString(16).padStart(2, "0"))
        .join("")
        .replace(/[0-9a-f]/g, (c) => String.fromCharCode("z".charCodeAt(0) - parseInt(c, 16))),
    id: (prefix) => `${prefix}_${randomBytes(12).toString("base64url")}`,
    apiKey: () => `mesa_${randomBytes(32).toString("base64url")}`,
    uuid: () => randomUUID(),
  };
}

/** True when `value` has the shape of a change id. */
export function isChangeId(value: string): boolean {
  return /^[k-z]{32}$/.test(value);
}
