import { timingSafeEqual } from "node:crypto";
import type { Services } from "../context";
import { errors } from "../errors";
import type { SandboxRecord } from "../store/records";

/** The sandbox id in a `boxd-<id>.<sandbox host>` host name, if it is one. */
export function sandboxIdFromHost(host: string | undefined): string | undefined {
  return /^boxd-([^.]+)\./.exec(host ?? "")?.[1];
}

/**
 * The sandbox a data-plane call addresses, once its access token matches and it runs:
 * 404 unknown, 401 stale token, 503 paused.
 */
export function authenticateSandbox(services: Services, id: string, token: string): SandboxRecord {
  const s = services.store.getSandbox(id);
  if (!s) throw errors.notFound("sandbox", id);
  const a = Buffer.from(token);
  const b = Buffer.from(s.access_token);
  if (a.length !== b.length || !timingSafeEqual(a, b)) throw errors.badAccessToken();
  if (s.status !== "active" || !services.runtime.isRunning(id)) throw errors.paused(id);
  return s;
}
