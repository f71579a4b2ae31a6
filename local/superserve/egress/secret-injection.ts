import type { OutgoingHttpHeaders } from "node:http";
import type { SecretRecord } from "../store/records";
import { hostMatches } from "./policy";

/** A secret bound to a sandbox: what the sandbox holds (the placeholder) and what it stands for. */
export interface BoundSecret {
  envKey: string;
  placeholder: string;
  secret: SecretRecord;
}

/** One auth rule as `Secret.create` sends it (the SDK's `SecretAuthRule`). */
interface AuthRule {
  type: string;
  header?: string;
  prefix?: string;
  username?: string;
  headers?: Record<string, string>;
}

/** True when `host` is one of the secret's hosts (a wildcard covers one label, as documented). */
export const isSecretHost = (secret: SecretRecord, host: string) =>
  secret.hosts.some((h) => hostMatches(h, host, false));

/** The rule that applies toward `host`: the secret's own, or its `per_host` entry for the host. */
function ruleFor(secret: SecretRecord, host: string): AuthRule | undefined {
  const config = secret.auth_config;
  if (secret.auth_type !== "per_host") return { ...(config as object), type: secret.auth_type };
  const entries = (config.per_host ?? []) as (AuthRule & { hosts?: string[] })[];
  return entries.find((e) => (e.hosts ?? []).some((h) => hostMatches(h, host, false)));
}

const headerText = (v: OutgoingHttpHeaders[string]) =>
  v === undefined ? [] : Array.isArray(v) ? v : [String(v)];

/** True when the request carries `placeholder` in a header, Basic credentials included. */
function carries(headers: OutgoingHttpHeaders, placeholder: string): boolean {
  return Object.values(headers).some((v) =>
    headerText(v).some((text) => {
      if (text.includes(placeholder)) return true;
      const basic = /^\s*basic\s+(\S+)/i.exec(text);
      return basic ? Buffer.from(basic[1], "base64").toString().includes(placeholder) : false;
    }),
  );
}

/** The Basic user name the sandbox sent, when it sent Basic credentials. */
function sentUsername(headers: OutgoingHttpHeaders): string | undefined {
  const basic = /^\s*basic\s+(\S+)/i.exec(headerText(headers.authorization)[0] ?? "");
  if (!basic) return undefined;
  const decoded = Buffer.from(basic[1], "base64").toString();
  return decoded.includes(":") ? decoded.slice(0, decoded.indexOf(":")) : undefined;
}

/** The headers `rule` sets for `value`. */
function ruleHeaders(rule: AuthRule, value: string, headers: OutgoingHttpHeaders) {
  switch (rule.type) {
    case "bearer":
      return { authorization: `Bearer ${value}` };
    case "basic": {
      const user = rule.username ?? sentUsername(headers) ?? "";
      return { authorization: `Basic ${Buffer.from(`${user}:${value}`).toString("base64")}` };
    }
    case "api-key":
      return { [(rule.header ?? "x-api-key").toLowerCase()]: `${rule.prefix ?? ""}${value}` };
    case "custom":
      return Object.fromEntries(
        Object.entries(rule.headers ?? {}).map(([h, tpl]) => [
          h.toLowerCase(),
          tpl.replace(/\{\{\s*value\s*\}\}/g, value),
        ]),
      );
    default:
      return undefined;
  }
}

/**
 * Swaps placeholders for real values on a request toward `host`, as the service does at egress:
 * a bound secret whose hosts include `host` and whose placeholder the request carries has its
 * auth rule applied with the real value (bearer, basic, api-key, custom, per host). Toward any
 * other host nothing changes. Answers the headers to send and the first secret used.
 */
export function injectSecrets(
  host: string,
  headers: OutgoingHttpHeaders,
  bound: BoundSecret[],
): { headers: OutgoingHttpHeaders; secretId?: string } {
  let out = headers;
  let secretId: string | undefined;
  for (const b of bound) {
    if (!isSecretHost(b.secret, host) || !carries(out, b.placeholder)) continue;
    const rule = ruleFor(b.secret, host);
    const set = rule && ruleHeaders(rule, b.secret.value, out);
    if (!set) continue;
    out = { ...out, ...set };
    secretId ??= b.secret.id;
  }
  return { headers: out, ...(secretId && { secretId }) };
}
