import { isIP } from "node:net";
import { normalizeHost } from "./policy";

/** The host of the Mesa installer (`https://mesa.dev/install.sh`). */
export const MESA_INSTALLER_HOST = "mesa.dev";
/** The hosts the `mesa` CLI talks to by default: the REST API (`https://api.mesa.dev/v1`) and VCS. */
export const MESA_API_HOSTS = ["api.mesa.dev", "vcs.mesa.dev"] as const;
/** The path prefix of the real API base URL, replaced by the local Mesa's. */
const MESA_API_PREFIX = "/v1";

/** How the egress layer answers requests to a host it serves instead of the internet. */
export type ServedRoute =
  | { kind: "installer" }
  /** A `tcp://` test upstream: CONNECT is a byte tunnel to this loopback address (never read). */
  | { kind: "tunnel"; ip: string; port: number }
  | {
      kind: "forward";
      /** Where requests go; undefined when the local Mesa was not given (answered 502). */
      base: URL | undefined;
      /** Removed from the request path before `base`'s path is put in front. */
      strip: string;
      /** Send `base`'s host as `Host` (a rewrite) instead of the sandbox's. */
      rewriteHost: boolean;
    };

/** Options of {@link ServedHosts}. */
export interface ServedHostsOptions {
  /** Base URL of the local Mesa REST API (`LocalMesa.url`, ending in `/v1`). */
  mesaUrl?: string;
  /**
   * Host names mapped to loopback test servers: `http://127.0.0.1:PORT` (the layer terminates TLS
   * and forwards the requests, secrets swapped in) or `tcp://127.0.0.1:PORT` (CONNECT is tunnelled
   * to it as is, e.g. for a TLS server with its own certificate).
   */
  upstreams?: Record<string, string>;
}

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

function loopbackUrl(field: string, text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`${field} ${JSON.stringify(text)} is not a URL: use http://127.0.0.1:PORT`);
  }
  const loopback = LOOPBACK_HOSTS.has(url.hostname) || /^127\.\d+\.\d+\.\d+$/.test(url.hostname);
  if (!/^(https?|tcp):$/.test(url.protocol) || !loopback || (url.protocol === "tcp:" && !url.port))
    throw new Error(
      `${field} ${JSON.stringify(text)} must be an http(s):// or tcp:// URL on a loopback address (http://127.0.0.1:PORT): only test servers on this machine can be mapped`,
    );
  return url;
}

/**
 * The hosts the egress layer serves itself, over TLS it terminates: the Mesa installer, the Mesa
 * API host(s) forwarded to the local Mesa, and the test upstreams. Only these reach loopback.
 */
export class ServedHosts {
  private readonly routes = new Map<string, ServedRoute>();

  constructor(opts: ServedHostsOptions) {
    const mesa = opts.mesaUrl === undefined ? undefined : new URL(opts.mesaUrl);
    this.routes.set(MESA_INSTALLER_HOST, { kind: "installer" });
    for (const h of MESA_API_HOSTS)
      this.routes.set(h, {
        kind: "forward",
        base: mesa,
        strip: MESA_API_PREFIX,
        rewriteHost: true,
      });
    for (const [host, target] of Object.entries(opts.upstreams ?? {})) {
      const field = `upstreams[${JSON.stringify(host)}]`;
      const name = normalizeHost(host);
      if (!/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/.test(name) || isIP(name) !== 0)
        throw new Error(`${field}: the key must be a host name (e.g. api.example.test)`);
      const url = loopbackUrl(field, target);
      this.routes.set(
        name,
        url.protocol === "tcp:"
          ? {
              kind: "tunnel",
              ip:
                url.hostname === "localhost"
                  ? "127.0.0.1"
                  : url.hostname.replace(/^\[(.*)\]$/, "$1"),
              port: Number(url.port),
            }
          : { kind: "forward", base: url, strip: "", rewriteHost: false },
      );
    }
  }

  /** The route of `host`, when the egress layer serves it. */
  lookup(host: string): ServedRoute | undefined {
    return this.routes.get(normalizeHost(host));
  }
}

/** The URL a forwarded request goes to: `path` (with its query) under the route's base. */
export function forwardUrl(base: URL, strip: string, path: string): URL {
  const rest =
    strip && (path === strip || path.startsWith(`${strip}/`) || path.startsWith(`${strip}?`))
      ? path.slice(strip.length)
      : path;
  return new URL(
    base.pathname.replace(/\/$/, "") + (rest.startsWith("/") ? rest : `/${rest}`),
    base.origin,
  );
}
