/**
 * The paths the egress layer forwards to a backend on this machine (the local Mesa, a test
 * upstream): normalised paths only, under the vendor API's prefix, and nothing of the local
 * backends' own admin endpoints (`/_local/…`). A sandbox is hostile: a path with `..` (in any
 * spelling: `%2e%2e`, `..%2f`, backslashes) would otherwise be resolved by the forwarding URL
 * into the backend's root, e.g. `https://api.mesa.dev/../_local/faults` onto the local Mesa's
 * fault-injection endpoint.
 */

/** The path prefix of the local backends' own endpoints, never reachable from a sandbox. */
const LOCAL_ADMIN_SEGMENT = "_local";

/**
 * Why the request target `target` (origin form: path and query, as the sandbox sent it, never
 * normalised) is not forwarded to a route whose API lives under `prefix` (`/v1`, or "" for the
 * whole host); undefined when it is forwarded.
 *
 * @example
 * refusedPath("/v1/local/repos", "/v1"); // undefined
 * refusedPath("/v1/../_local/faults", "/v1"); // "it has a `.` or `..` segment"
 */
export function refusedPath(target: string, prefix: string): string | undefined {
  const path = target.split("?")[0];
  if (!path.startsWith("/")) return "it is not an absolute path";
  if (path.includes("\\") || hasControl(path, 0x20))
    return "it has a backslash, a space or a control character";
  const segments = path.slice(1).split("/");
  if (segments.slice(0, -1).some((s) => s === "")) return "it has an empty segment (`//`)";
  for (const segment of segments) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      return "it has a malformed percent-encoding";
    }
    // A decoded `%2f` or `%5c` is checked too: a backend that decodes before splitting sees its parts.
    for (const part of decoded.split(/[/\\]/)) {
      if (part === "." || part === "..") return "it has a `.` or `..` segment";
      if (part === LOCAL_ADMIN_SEGMENT) return "the local backends' own endpoints are not served";
    }
    if (hasControl(decoded, 0x1f)) return "it has an encoded control character";
  }
  if (prefix && path !== prefix && !path.startsWith(`${prefix}/`))
    return `only the API under ${prefix}/ is served on this host`;
  if (new URL(path, "http://local.invalid").pathname !== path)
    return "it is not in normal form (a URL parser would rewrite it)";
  return undefined;
}

/** True when `text` has a character up to `highest` or DEL. */
function hasControl(text: string, highest: number): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c <= highest || c === 0x7f) return true;
  }
  return false;
}
