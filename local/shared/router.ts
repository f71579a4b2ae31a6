import FindMyWay from "find-my-way";

/** HTTP methods the local backends route. */
export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD";

/** A successful route lookup: the registered value and the decoded path parameters. */
export interface RouteMatch<T> {
  route: T;
  /** Parameter values, percent-decoded once (so `feat%2Fx` → `feat/x`). */
  params: Record<string, string>;
}

/**
 * A method + path table built on find-my-way (fastify's router).
 *
 * Patterns use the OpenAPI form the vendor SDKs use: `/v1/{org}/{repo}/bookmarks/{bookmark}`.
 * Matching happens on the raw, still-encoded path, one segment per parameter, so `%2F` inside a
 * segment never splits it; the parameter value is decoded after matching. A static segment wins
 * over a parameter at the same position (`/{org}/repos` before `/{org}/{repo}`).
 */
export class RouteTable<T> {
  private readonly router = FindMyWay({ ignoreTrailingSlash: false, caseSensitive: true });
  private readonly patterns = new Map<string, Set<HttpMethod>>();

  /** Registers `route` for `method` + `pattern`; throws if the pair is already registered. */
  add(method: HttpMethod, pattern: string, route: T): this {
    const path = pattern.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, ":$1");
    this.router.on(method, path, () => undefined, { route });
    const methods = this.patterns.get(path) ?? new Set<HttpMethod>();
    methods.add(method);
    this.patterns.set(path, methods);
    return this;
  }

  /** Looks up the route for `method` and a raw request path (a query string is ignored). */
  match(method: string, rawPath: string): RouteMatch<T> | undefined {
    const found = this.router.find(method as HttpMethod, rawPath);
    if (!found) return undefined;
    const store = found.store as { route: T };
    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(found.params)) if (v !== undefined) params[k] = v;
    return { route: store.route, params };
  }

  /** The methods registered for whatever pattern matches `rawPath` (for 405 answers). */
  allowedMethods(rawPath: string): HttpMethod[] {
    const all: HttpMethod[] = ["GET", "POST", "PUT", "PATCH", "DELETE"];
    return all.filter((m) => this.router.find(m, rawPath) !== null);
  }
}
