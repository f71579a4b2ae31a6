import { RouteTable, type HttpMethod } from "./router";

const METHODS: HttpMethod[] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/**
 * Which methods a request path has, for 405 answers and their `Allow` header.
 *
 * A raw path resolves to one path pattern with the router's own precedence (a static segment wins
 * over a parameter), whatever the method: `/local/repos` is `/{org}/repos` (GET, POST), never
 * `/{org}/{repo}` (whose PATCH and DELETE a per-method lookup would also find).
 */
export class PathMethods {
  private readonly patterns = new RouteTable<string>();
  private readonly methods = new Map<string, HttpMethod[]>();

  constructor(routes: Iterable<{ method: HttpMethod; pattern: string }>) {
    for (const { method, pattern } of routes) {
      const known = this.methods.get(pattern);
      if (known) {
        known.push(method);
        continue;
      }
      this.methods.set(pattern, [method]);
      for (const m of METHODS) this.patterns.add(m, pattern, pattern);
    }
  }

  /** The methods of the pattern `rawPath` resolves to, in a fixed order; empty when none does. */
  allowed(rawPath: string): HttpMethod[] {
    const pattern = this.patterns.match("GET", rawPath)?.route;
    const methods = pattern === undefined ? [] : (this.methods.get(pattern) ?? []);
    return METHODS.filter((m) => methods.includes(m));
  }
}
