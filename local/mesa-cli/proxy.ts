/** The variables that name an HTTP proxy (curl's and most tools' spelling). */
const PROXY_VARIABLES = ["http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"];

/**
 * Sends the global `fetch` through the proxy the environment names, as curl would: Node 20's
 * `fetch` ignores the proxy variables, undici's EnvHttpProxyAgent honours them and `no_proxy`.
 * HTTPS goes through CONNECT and verifies the origin with Node's CAs plus NODE_EXTRA_CA_CERTS
 * (a local sandbox's egress CA). Nothing changes when no proxy variable is set.
 *
 * undici is required here, not imported at the top: its evaluation (all of undici: fetch,
 * WebSocket, caches) is paid only when a proxy is set. The agent's one-time "experimental" notice
 * is kept off the command's stderr, where it would appear on every run in every sandbox.
 */
export function useProxyFromEnv(env: NodeJS.ProcessEnv): void {
  if (!PROXY_VARIABLES.some((name) => env[name])) return;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazily, see above
  const undici = require("undici") as typeof import("undici");
  const original = Object.getOwnPropertyDescriptor(process, "emitWarning")!;
  const emitWarning = original.value as (...args: unknown[]) => void;
  Object.defineProperty(process, "emitWarning", {
    ...original,
    value: (...args: unknown[]) => {
      if ((args[1] as { code?: string } | undefined)?.code !== "UNDICI-EHPA")
        emitWarning.apply(process, args);
    },
  });
  try {
    undici.setGlobalDispatcher(new undici.EnvHttpProxyAgent());
  } finally {
    Object.defineProperty(process, "emitWarning", original);
  }
}
