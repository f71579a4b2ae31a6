import { randomBytes, randomUUID } from "node:crypto";

/** Generates ids and secrets; injectable so tests can predict them. */
export interface IdGenerator {
  /**
   * A new id for `kind` (`sbx`, `tpl`, `bld`, `sec`): a UUID, as the vendor's spec declares for
   * sandboxes, templates and builds. `kind` lets an injected generator tell the ids apart.
   */
  id(kind: string): string;
  /** A data-plane access token: base64url, RFC 7230 token characters only. */
  accessToken(): string;
}

/** Random UUIDs and 32-byte tokens. */
export const randomIds: IdGenerator = {
  id: () => randomUUID(),
  accessToken: () => randomBytes(32).toString("base64url"),
};
