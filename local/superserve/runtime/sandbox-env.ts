import { TOOLS_MOUNT } from "./rootfs";

/** The home directory of a sandbox, and where its commands start. */
export const SANDBOX_HOME = "/home/user";

/**
 * The PATH of every sandbox process: the image's directories first, so a `mesa` installed by
 * `https://mesa.dev/install.sh` (in a template step or at run time, as the vendors' guide does)
 * is the one found; the local tools last, a fallback for templates that never ran the installer.
 */
export const SANDBOX_PATH = `/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:${TOOLS_MOUNT}`;

/** The port on the sandbox's own loopback bridged to its egress proxy (the sandbox's only way out). */
export const SANDBOX_PROXY_PORT = 3128;

/** The HTTP proxy every sandbox and build reaches the world through. */
export const SANDBOX_PROXY_URL = `http://127.0.0.1:${SANDBOX_PROXY_PORT}`;

/** The system CA bundle of Debian images (curl, git, apt, OpenSSL read it); it holds the local CA too. */
export const SYSTEM_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";

/** The local CA certificate alone, inside every sandbox (an empty file when the sandbox has no egress). */
export const SANDBOX_CA_FILE = "/etc/ssl/certs/superserve-local-ca.pem";

/** Hosts reached directly, never through the proxy: the sandbox's own loopback. */
const NO_PROXY = "localhost,127.0.0.1,::1";

/**
 * The environment every command in a sandbox or build starts from; template `env` steps and the
 * sandbox's own variables go on top. Proxy-aware tools (curl, apt, pip, npm, git, the `mesa` CLI)
 * leave through the egress proxy and trust the local CA: Node.js through NODE_EXTRA_CA_CERTS,
 * Python's `ssl` through SSL_CERT_FILE, `requests` (and pip) through REQUESTS_CA_BUNDLE, the rest
 * through the system bundle.
 */
export const BASE_SANDBOX_ENV: Readonly<Record<string, string>> = {
  HOME: SANDBOX_HOME,
  PATH: SANDBOX_PATH,
  LANG: "C.UTF-8",
  http_proxy: SANDBOX_PROXY_URL,
  https_proxy: SANDBOX_PROXY_URL,
  HTTP_PROXY: SANDBOX_PROXY_URL,
  HTTPS_PROXY: SANDBOX_PROXY_URL,
  no_proxy: NO_PROXY,
  NO_PROXY: NO_PROXY,
  NODE_EXTRA_CA_CERTS: SANDBOX_CA_FILE,
  SSL_CERT_FILE: SYSTEM_CA_BUNDLE,
  REQUESTS_CA_BUNDLE: SYSTEM_CA_BUNDLE,
};
