/**
 * Routing of the Superserve SDK's data plane. The SDK sends exec/files calls to its sandbox host
 * (`https://sandbox.superserve.ai`, the `staging-`/`usw-` variants, or
 * `https://boxd-<id>.sandbox.superserve.ai`) whatever its base URL is; when the base URL is another
 * host (the local backend), those calls must go to that host instead. The SDK uses the global
 * fetch/WebSocket, which honour undici's global dispatcher, so routing means installing a
 * dispatcher that rewrites the data-plane origins. The provider installs it only when
 * {@link SuperserveSettings.dataPlaneOrigin} is set; the tests and benchmarks that drive the SDK
 * against the local backend in-process use the same code ({@link routeDataPlaneTo}).
 *
 * undici (~95 modules) is loaded on first use, not with this module: the provider process loads
 * this module for every MountedSandbox operation, and most of them (check, diff, and everything
 * against the real services) never route.
 */
import type { Dispatcher } from "undici";
import type { SuperserveSettings } from "./config";

function undici(): typeof import("undici") {
  return require("undici") as typeof import("undici");
}

/** Header carrying the data-plane host the SDK addressed (the local backend reads the sandbox id from it). */
const ORIGINAL_HOST_HEADER = "x-superserve-original-host";

const routed = new WeakMap<Dispatcher, string>();

/** True for the SDK's data-plane hosts: `sandbox.superserve.ai`, its `staging-`/`usw-` variants and `boxd-<id>.…`. */
function isDataPlaneHost(hostname: string): boolean {
  return (
    hostname === "sandbox.superserve.ai" ||
    hostname.endsWith("-sandbox.superserve.ai") ||
    hostname.endsWith(".sandbox.superserve.ai")
  );
}

/**
 * An undici dispatcher sending the SDK's data-plane requests to `origin` (e.g.
 * `http://127.0.0.1:7070`), everything else untouched. The original host travels in
 * `x-superserve-original-host`.
 */
export function dataPlaneDispatcher(origin: string): Dispatcher {
  return new (undici().Agent)().compose((dispatch) => (opts, handler) => {
    const from = new URL(String(opts.origin));
    if (!isDataPlaneHost(from.hostname)) return dispatch(opts, handler);
    const headers = Array.isArray(opts.headers)
      ? [...opts.headers, ORIGINAL_HOST_HEADER, from.host]
      : {
          ...(opts.headers as Record<string, string> | undefined),
          [ORIGINAL_HOST_HEADER]: from.host,
        };
    return dispatch({ ...opts, origin, headers }, handler);
  });
}

/**
 * Install {@link dataPlaneDispatcher} for `origin` as this process's global dispatcher (Node's
 * fetch and WebSocket use it), unless one routing to `origin` is installed already.
 */
export function routeDataPlaneTo(origin: string): void {
  const { getGlobalDispatcher, setGlobalDispatcher } = undici();
  if (routed.get(getGlobalDispatcher()) === origin) return;
  const dispatcher = dataPlaneDispatcher(origin);
  routed.set(dispatcher, origin);
  setGlobalDispatcher(dispatcher);
}

/**
 * Route the data plane for `settings` in this process when (and only when) its base URL is not a
 * superserve.ai host. Returns whether routing is active.
 */
export function routeDataPlane(settings: SuperserveSettings): boolean {
  if (!settings.dataPlaneOrigin) return false;
  routeDataPlaneTo(settings.dataPlaneOrigin);
  return true;
}
