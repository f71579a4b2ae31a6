import { Agent, setGlobalDispatcher, type Dispatcher } from "undici";

/** True for the SDK's data-plane hosts: `sandbox.superserve.ai`, `staging-`/`usw-` variants and `boxd-<id>.…`. */
function isDataPlaneHost(hostname: string): boolean {
  return hostname === "sandbox.superserve.ai" || hostname.endsWith("-sandbox.superserve.ai") || hostname.endsWith(".sandbox.superserve.ai");
}

/**
 * An undici Dispatcher that sends the SDK's data-plane (`*sandbox.superserve.ai`) requests to
 * `origin` (e.g. `http://127.0.0.1:7070`), everything else untouched. The original host travels
 * in `x-superserve-original-host`.
 */
export function superserveDataPlaneDispatcher(origin: string): Dispatcher {
  return new Agent().compose((dispatch) => (opts, handler) => {
    const url = new URL(String(opts.origin));
    if (!isDataPlaneHost(url.hostname)) return dispatch(opts, handler);
    const headers = Array.isArray(opts.headers)
      ? [...opts.headers, "x-superserve-original-host", url.host]
      : { ...(opts.headers as Record<string, string> | undefined), "x-superserve-original-host": url.host };
    return dispatch({ ...opts, origin, headers }, handler);
  });
}

/** Installs {@link superserveDataPlaneDispatcher} as the global dispatcher (Node's fetch and WebSocket use it). */
export function routeSuperserveDataPlane(origin: string): void {
  setGlobalDispatcher(superserveDataPlaneDispatcher(origin));
}
