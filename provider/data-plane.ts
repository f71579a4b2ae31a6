/**
 * Routing of the Superserve SDK's data plane. The SDK sends exec/files calls to
 * `https://sandbox.superserve.ai` (and spawn to `wss://boxd-<id>.sandbox.superserve.ai`) whatever
 * its base URL is; when the base URL is another host (the local backend), those calls must go to
 * that host instead. The SDK uses the global fetch/WebSocket, which honour undici's global
 * dispatcher, so routing means installing a dispatcher that rewrites `*.superserve.ai` origins.
 * Only ever installed when {@link SuperserveSettings.dataPlaneOrigin} is set.
 */
import { Agent, getGlobalDispatcher, setGlobalDispatcher, type Dispatcher } from "undici";
import type { SuperserveSettings } from "./config";

const routed = new WeakMap<Dispatcher, string>();

/** An undici dispatcher sending `*.superserve.ai` requests to `origin` (other requests unchanged). */
export function dataPlaneDispatcher(origin: string): Dispatcher {
  return new Agent().compose((dispatch) => (opts, handler) => {
    const from = new URL(String(opts.origin));
    if (from.hostname === "superserve.ai" || from.hostname.endsWith(".superserve.ai")) {
      const extra = ["x-superserve-original-host", from.host];
      const headers = Array.isArray(opts.headers)
        ? [...opts.headers, ...extra]
        : { ...(opts.headers as Record<string, string> | undefined), [extra[0]]: extra[1] };
      return dispatch({ ...opts, origin, headers }, handler);
    }
    return dispatch(opts, handler);
  });
}

/**
 * Route the data plane for `settings` in this process when (and only when) its base URL is not a
 * superserve.ai host. Returns whether routing is active.
 */
export function routeDataPlane(settings: SuperserveSettings): boolean {
  const origin = settings.dataPlaneOrigin;
  if (!origin) return false;
  if (routed.get(getGlobalDispatcher()) === origin) return true;
  const dispatcher = dataPlaneDispatcher(origin);
  routed.set(dispatcher, origin);
  setGlobalDispatcher(dispatcher);
  return true;
}
