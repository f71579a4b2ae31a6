import FindMyWay from "find-my-way";

/** HTTP methods the local backends route. */
export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD";

/** The methods a path can list in a 405's `Allow`, in the order they are listed. */
const ALLOWABLE: HttpMethod[] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/**
 * What a request's method and path resolve to: the registered route with the decoded path
 * parameters; the methods its path has when the method is not one of them (a 405); or nothing
 * (a 404).
 */
export type RouteLookup<T> =
  | {
      kind: "route";
      route: T;
      /** Parameter values, percent-decoded once (so `feat%2Fx` → `feat/x`). */
      params: Record<string, string>;
    }
  | { kind: "method-not-allowed"; allowed: HttpMethod[] }
  | { kind: "not-found" };

/**
 * A method + path table built on find-my-way (fastify's router).
 *
 * Patterns use the OpenAPI form the vendor SDKs use: `/v1/{org}/{repo}/bookmarks/{bookmark}`.
 * Matching happens on the raw, still-encoded path, one segment per parameter, so `%2F` inside a
 * segment never splits it; the parameter value is decoded after matching. A static segment wins
 * over a parameter at the same position (`/{org}/repos` before `/{org}/{repo}`).
 *
 * The path alone decides the pattern, whatever the method: `/local/repos` is `/{org}/repos` (GET,
 * POST) for a DELETE too, never `/{org}/{repo}` (whose DELETE a per-method lookup would find), so
 * a DELETE there is a 405 listing GET and POST.
 */
export class RouteTable<T> {
  private readonly router = FindMyWay({ ignoreTrailingSlash: false, caseSensitive: true });
  private readonly byPattern = new Map<string, Map<HttpMethod, T>>();

  /** Registers `route` for `method` + `pattern`; throws if the pair is already registered. */
  add(method: HttpMethod, pattern: string, route: T): this {
    const path = pattern.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, ":$1");
    let methods = this.byPattern.get(path);
    if (!methods) {
      methods = new Map();
      this.byPattern.set(path, methods);
      this.router.on("GET", path, () => undefined, { methods });
    }
    if (methods.has(method)) throw new Error(`${method} ${pattern} is registered twice`);
    methods.set(method, route);
    return this;
  }

  /** Resolves `method` and a raw request path (no query string). */
  lookup(method: string, rawPath: string): RouteLookup<T> {
    const found = this.router.find("GET", rawPath);
    if (!found) return { kind: "not-found" };
    const { methods } = found.store as { methods: Map<HttpMethod, T> };
    const route = methods.get(method as HttpMethod);
    if (route === undefined)
      return { kind: "method-not-allowed", allowed: ALLOWABLE.filter((m) => methods.has(m)) };
    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(found.params)) if (v !== undefined) params[k] = v;
    return { kind: "route", route, params };
  }
}
