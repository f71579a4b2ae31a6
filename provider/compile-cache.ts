/**
 * Node.js's module compile cache (`module.enableCompileCache`, Node.js 22.1 and later), enabled
 * before anything else of this package loads: on later runs the modules loaded after it — the rest
 * of `@pulumi/pulumi`'s index, the vendors' SDKs, this package — are compiled from V8's cache on
 * disk instead of from source, in the program process and in the dynamic-provider processes.
 *
 * The cache lives in `NODE_COMPILE_CACHE` when set, else in Node.js's default (`<tmpdir>/
 * node-compile-cache`), and is keyed by Node.js version and file content, so a stale entry is never
 * used. `NODE_DISABLE_COMPILE_CACHE=1` turns it off. Node.js 20 has no such cache: nothing happens.
 * Set `NODE_COMPILE_CACHE` in the environment of `pulumi` to cache also what loads before this
 * package (the SDK's run entry point and the dynamic-provider host): `npm run up` does.
 */
import * as nodeModule from "node:module";

const cache = nodeModule as { enableCompileCache?: () => unknown; flushCompileCache?: () => void };
cache.enableCompileCache?.();
// Once the modules being loaded now (the program's, or a provider's) are: see persistCompileCache.
setImmediate(persistCompileCache).unref();

/**
 * Write what the process has compiled so far to the cache now. Node.js writes it only at a normal
 * exit, and the engine ends the dynamic-provider processes with a signal: without this their
 * modules would be compiled from source on every run.
 */
export function persistCompileCache(): void {
  cache.flushCompileCache?.();
}
