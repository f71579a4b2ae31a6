import { BlockList, isIP } from "node:net";

/** A sandbox's egress rules as stored and sent on the wire (`network`). */
export interface EgressRules {
  /** CIDRs, IPs and domains (`api.example.com`, `*.example.com`) the sandbox may reach. */
  allow_out: string[];
  /** CIDRs and IPs the sandbox may not reach (`0.0.0.0/0`: everything not in `allow_out`). */
  deny_out: string[];
}

/** Egress rules that let everything out (the service's default; template builds get them). */
export const ALLOW_ALL: EgressRules = { allow_out: [], deny_out: [] };

/** What the policy says about one destination. */
export interface Decision {
  verdict: "allowed" | "blocked";
  /** The rule that decided (an `allow_out`/`deny_out` entry, or `private:<range>`); unset when no rule matched. */
  matchRule?: string;
}

/** A rule entry the service would refuse, with the field to name. */
export class RuleError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The ranges no sandbox reaches whatever its rules: the service documents private, loopback and
 * link-local ranges; "this network", CGNAT and IPv6 unique-local are blocked for the same reason
 * (they reach the host or its neighbours, not the public internet). Documentation ranges
 * (203.0.113.0/24 and the like) are not blocked: they stand for public addresses.
 */
const ALWAYS_BLOCKED: readonly string[] = [
  "0.0.0.0/8",
  "10.0.0.0/8",
  "100.64.0.0/10",
  "127.0.0.0/8",
  "169.254.0.0/16",
  "172.16.0.0/12",
  "192.168.0.0/16",
  "::/128",
  "::1/128",
  "fc00::/7",
  "fe80::/10",
];

interface Cidr {
  text: string;
  prefix: number;
  list: BlockList;
}

function parseCidr(text: string): Cidr | undefined {
  const [addr, bits, extra] = text.split("/");
  if (extra !== undefined || !addr) return undefined;
  const family = isIP(addr);
  if (family === 0) return undefined;
  const max = family === 4 ? 32 : 128;
  const prefix = bits === undefined ? max : Number(bits);
  if (!/^\d+$/.test(bits ?? String(max)) || prefix > max) return undefined;
  const list = new BlockList();
  list.addSubnet(addr, prefix, family === 4 ? "ipv4" : "ipv6");
  return { text, prefix, list };
}

const ALWAYS_BLOCKED_CIDRS = ALWAYS_BLOCKED.map((c) => parseCidr(c)!);

/** `::ffff:1.2.3.4` → `1.2.3.4`; other addresses unchanged. */
function plainAddress(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return mapped ? mapped[1] : ip;
}

const contains = (c: Cidr, ip: string) => c.list.check(ip, isIP(ip) === 4 ? "ipv4" : "ipv6");

/** The always-blocked range `ip` falls in, if any. */
export function privateRange(ip: string): string | undefined {
  const plain = plainAddress(ip);
  return ALWAYS_BLOCKED_CIDRS.find((c) => contains(c, plain))?.text;
}

const LABEL = /^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?$/;

/** Lower-cased, without a trailing dot. */
export const normalizeHost = (host: string) => host.toLowerCase().replace(/\.$/, "");

/**
 * True when `host` matches `pattern`: the name itself, or for `*.example.com` a subdomain —
 * at any depth (`anyDepth`, the network rules' wildcards) or exactly one label down (secret
 * hosts' "single-level wildcard"). A wildcard never matches the bare domain.
 */
export function hostMatches(pattern: string, host: string, anyDepth: boolean): boolean {
  const p = normalizeHost(pattern);
  const h = normalizeHost(host);
  if (!p.startsWith("*.")) return p === h;
  const base = p.slice(1);
  if (!h.endsWith(base) || h.length === base.length) return false;
  return anyDepth || !h.slice(0, -base.length).includes(".");
}

function isDomainPattern(text: string): boolean {
  const name = text.startsWith("*.") ? text.slice(2) : text;
  return name.split(".").every((l) => LABEL.test(l)) && isIP(name) === 0;
}

type AllowEntry = { kind: "domain"; text: string } | { kind: "cidr"; cidr: Cidr };

/** Compiled egress rules: decides destinations as the service documents it. */
export class EgressPolicy {
  private constructor(
    private readonly allow: AllowEntry[],
    private readonly deny: Cidr[],
  ) {}

  /** Checks and compiles `rules`; a {@link RuleError} names the bad entry. */
  static compile(rules: EgressRules): EgressPolicy {
    const allow = rules.allow_out.map((text, i): AllowEntry => {
      const cidr = parseCidr(text);
      if (cidr) return { kind: "cidr", cidr };
      if (isDomainPattern(text.toLowerCase())) return { kind: "domain", text: text.toLowerCase() };
      throw new RuleError(
        `network.allow_out[${i}]`,
        `${JSON.stringify(text)} is neither a CIDR (8.8.8.8/32), an IP, nor a domain (api.example.com, *.example.com)`,
      );
    });
    const deny = rules.deny_out.map((text, i) => {
      const cidr = parseCidr(text);
      if (cidr) return cidr;
      throw new RuleError(
        `network.deny_out[${i}]`,
        `${JSON.stringify(text)} is not a CIDR or IP: deny_out takes CIDRs only (use 0.0.0.0/0 and list domains in allow_out)`,
      );
    });
    return new EgressPolicy(allow, deny);
  }

  /**
   * The verdict for a connection to `host` (a name, or undefined for an IP literal) at `ip`.
   * `ip` undefined stands for a public address not known here (a host the egress layer serves
   * itself, or a name that did not resolve): only the all-covering CIDRs (`/0`) match it.
   * Private ranges are blocked first; then allow rules win over deny rules; then it is allowed.
   */
  decide(host: string | undefined, ip: string | undefined): Decision {
    const addr = ip === undefined ? undefined : plainAddress(ip);
    if (addr !== undefined) {
      const range = privateRange(addr);
      if (range) return { verdict: "blocked", matchRule: `private:${range}` };
    }
    // A `/0` covers every address, of either family (`0.0.0.0/0` denies IPv6 destinations too).
    const covers = (c: Cidr) => c.prefix === 0 || (addr !== undefined && contains(c, addr));
    for (const a of this.allow) {
      if (
        a.kind === "domain" ? host !== undefined && hostMatches(a.text, host, true) : covers(a.cidr)
      )
        return { verdict: "allowed", matchRule: a.kind === "domain" ? a.text : a.cidr.text };
    }
    const denied = this.deny.find(covers);
    if (denied) return { verdict: "blocked", matchRule: denied.text };
    return { verdict: "allowed" };
  }
}
