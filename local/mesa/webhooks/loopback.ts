import { isIPv4 } from "node:net";
import { mesaErrors } from "../errors";

/**
 * Checks a webhook target URL: http(s) to a loopback receiver only (127.0.0.0/8, `[::1]`,
 * `localhost`). The local backend never sends traffic off the machine; a test or a local
 * receiver listens on loopback.
 */
export function validateLoopbackUrl(raw: unknown, field = "url"): string {
  let url: URL;
  try {
    if (typeof raw !== "string") throw new TypeError("not a string");
    url = new URL(raw);
  } catch {
    throw mesaErrors.badRequest(
      `\`${field}\` must be an absolute http(s) URL such as http://127.0.0.1:8080/hooks (got ${JSON.stringify(raw)})`,
      { field },
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw mesaErrors.badRequest(`\`${field}\` must use http or https (got ${url.protocol})`, {
      field,
    });
  }
  if (url.username || url.password)
    throw mesaErrors.badRequest(
      `\`${field}\` must not carry credentials; verify deliveries with the target's secret`,
      { field },
    );
  const host = url.hostname;
  const loopback =
    host === "localhost" || host === "[::1]" || (isIPv4(host) && host.startsWith("127."));
  if (!loopback) {
    throw mesaErrors.badRequest(
      `\`${field}\`: the local Mesa backend delivers webhooks to loopback receivers only (127.0.0.0/8, [::1], localhost), not ${JSON.stringify(host)}; see local/mesa/DIVERGENCES.md`,
      { field },
    );
  }
  return url.toString();
}
