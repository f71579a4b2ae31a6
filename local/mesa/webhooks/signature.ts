import { createHmac, randomBytes } from "node:crypto";

/** The header every delivery carries: `t=<unix seconds>,sha256=<hex HMAC>`. */
export const SIGNATURE_HEADER = "x-mesa-signature";

/** A new signing secret for a webhook target. */
export const newWebhookSecret = () => `whsec_${randomBytes(32).toString("base64url")}`;

/**
 * The vendor's scheme (as `mesa.webhooks.receive` verifies it): HMAC-SHA256 keyed with the
 * target's secret over `${t}.${rawBody}`, hex, with `t` the signing time in Unix seconds.
 */
export function signatureHeader(secret: string, body: string, at: Date): string {
  const t = Math.floor(at.getTime() / 1000);
  return `t=${t},sha256=${createHmac("sha256", secret).update(`${t}.${body}`).digest("hex")}`;
}
