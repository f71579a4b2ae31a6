import { randomBytes, randomUUID } from "node:crypto";

/** Generates ids and secrets; injectable so tests can predict them. */
export interface IdGenerator {
  /** A new id for `kind` (`sbx`, `tpl`, `bld`, `sec`). */
  id(kind: string): string;
  /** A data-plane access token: base64url, RFC 7230 token characters only. */
  accessToken(): string;
}

/** Random ids (UUID-based) and 32-byte tokens. */
export const randomIds: IdGenerator = {
  id: (kind) => `${kind}-${randomUUID().replace(/-/g, "").slice(0, 20)}`,
  accessToken: () => randomBytes(32).toString("base64url"),
};
