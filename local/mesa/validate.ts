import { mesaErrors } from "./errors";

/** Repo names the real service reserves because they collide with static path segments. */
const RESERVED_REPO_NAMES = new Set(["repo", "repos", "api-key", "api-keys", "webhook-targets"]);

/** Throws 400 unless `name` is a valid repo name (letters, digits, `.`, `_`, `-`; ≤ 100). */
export function validateRepoName(name: unknown, field = "name"): string {
  if (
    typeof name !== "string" ||
    !/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(name) ||
    name.endsWith(".git")
  ) {
    throw mesaErrors.badRequest(
      `\`${field}\` must be 1-100 characters of letters, digits, '.', '_' or '-', starting with a letter or digit (got ${JSON.stringify(name)})`,
      { field },
    );
  }
  if (RESERVED_REPO_NAMES.has(name.toLowerCase())) {
    throw mesaErrors.badRequest(`\`${field}\` "${name}" is reserved; pick another repo name`, {
      field,
    });
  }
  return name;
}

/** Throws 400 unless `name` is a valid bookmark name (git ref rules). */
export function validateBookmarkName(name: unknown, field = "name"): string {
  const ok =
    typeof name === "string" &&
    name.length > 0 &&
    name.length <= 200 &&
    /^[A-Za-z0-9._/-]+$/.test(name) &&
    !name.startsWith("/") &&
    !name.endsWith("/") &&
    !name.endsWith(".lock") &&
    !name.includes("..") &&
    !name.includes("//") &&
    !name.split("/").some((s) => s.startsWith(".")) &&
    name !== "HEAD";
  if (!ok) {
    throw mesaErrors.badRequest(
      `\`${field}\` must be a bookmark name of letters, digits, '.', '_', '-' and '/' without '..', '//' or a leading/trailing '/' (got ${JSON.stringify(name)})`,
      { field },
    );
  }
  return name;
}

/** Throws 400 unless `path` is a repo-relative file path without `..`, `.` or empty segments. */
export function validateFilePath(path: unknown, field = "path"): string {
  if (typeof path !== "string" || path.length === 0 || path.length > 4096) {
    throw mesaErrors.badRequest(`\`${field}\` must be a non-empty repo-relative path`, { field });
  }
  if (path.startsWith("/")) {
    throw mesaErrors.badRequest(
      `\`${field}\` "${path}" is absolute; use a repo-relative path such as "src/a.ts"`,
      { field },
    );
  }
  const segments = path.split("/");
  if (segments.some((s) => s === ".." || s === "." || s === "")) {
    throw mesaErrors.badRequest(
      `\`${field}\` "${path}" contains a '..', '.' or empty segment; use a normalized repo-relative path`,
      { field },
    );
  }
  if (path.includes("\0") || segments.some((s) => s === ".git")) {
    throw mesaErrors.badRequest(`\`${field}\` "${path}" contains a NUL byte or a '.git' segment`, {
      field,
    });
  }
  return path;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Validates an optional array (`field`) of objects, each naming a distinct file `path`, and maps
 * each with `parse(entry, path, entryField)`; 400 naming the entry otherwise.
 */
export function parsePathEntries<T>(
  raw: unknown,
  field: string,
  parse: (entry: Record<string, unknown>, path: string, entryField: string) => T,
): T[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw mesaErrors.badRequest(`\`${field}\` must be an array`, { field });
  const seen = new Set<string>();
  return raw.map((entry, i) => {
    const entryField = `${field}[${i}]`;
    if (typeof entry !== "object" || entry === null || Array.isArray(entry))
      throw mesaErrors.badRequest(`\`${entryField}\` must be an object`, { field: entryField });
    const e = entry as Record<string, unknown>;
    const path = validateFilePath(e.path, `${entryField}.path`);
    if (seen.has(path))
      throw mesaErrors.badRequest(
        `\`${entryField}.path\` "${path}" appears twice; send one entry per path`,
        { field: `${entryField}.path` },
      );
    seen.add(path);
    return parse(e, path, entryField);
  });
}

/** The bytes of an entry's base64 `content` (with an optional `encoding: "base64"`); 400 otherwise. */
export function decodeContent(entry: Record<string, unknown>, entryField: string): Buffer {
  if (entry.encoding !== undefined && entry.encoding !== "base64") {
    throw mesaErrors.badRequest(`\`${entryField}.encoding\` must be base64`, {
      field: `${entryField}.encoding`,
    });
  }
  if (typeof entry.content !== "string" || !BASE64.test(entry.content)) {
    throw mesaErrors.badRequest(`\`${entryField}.content\` must be base64-encoded file content`, {
      field: `${entryField}.content`,
    });
  }
  return Buffer.from(entry.content, "base64");
}

/** Normalizes an optional directory path for content reads (`""` = root; a trailing `/` is dropped). */
export function validateContentPath(path: string | null): string {
  if (path === null || path === "" || path === "/") return "";
  return validateFilePath(path.replace(/\/+$/, ""));
}

/** Parses the `limit` query parameter (1..100, default 50). */
export function parseLimit(raw: string | null, fallback = 50): number {
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 100) {
    throw mesaErrors.badRequest(
      `\`limit\` must be an integer from 1 to 100 (got ${JSON.stringify(raw)})`,
      { field: "limit" },
    );
  }
  return n;
}

/** Encodes an integer position as an opaque cursor. */
export function encodeCursor(position: number): string {
  return Buffer.from(`p:${position}`).toString("base64url");
}

/** Decodes a cursor from {@link encodeCursor}; 400 when it is not one. */
export function decodeCursor(raw: string | null): number | undefined {
  if (raw === null || raw === "") return undefined;
  const m = /^p:(\d+)$/.exec(Buffer.from(raw, "base64url").toString("utf8"));
  if (!m)
    throw mesaErrors.badRequest(
      "`cursor` is not a cursor returned by this API; restart from the first page",
      { field: "cursor" },
    );
  return Number(m[1]);
}

/** Returns `value` (the request body, or its `field`) as an object, or 400 naming what was expected. */
export function requireObject(value: unknown, field?: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw field === undefined
      ? mesaErrors.badRequest("request body must be a JSON object")
      : mesaErrors.badRequest(`\`${field}\` must be a JSON object`, { field });
  }
  return value as Record<string, unknown>;
}

/** Returns `raw` when it is one of `allowed`, the fallback when absent; 400 naming the choices otherwise. */
export function parseEnum<T extends string>(
  raw: string | null,
  field: string,
  allowed: readonly T[],
  fallback: T,
): T;
export function parseEnum<T extends string>(
  raw: string | null,
  field: string,
  allowed: readonly T[],
): T | undefined;
export function parseEnum<T extends string>(
  raw: string | null,
  field: string,
  allowed: readonly T[],
  fallback?: T,
): T | undefined {
  if (raw === null) return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw mesaErrors.badRequest(
      `\`${field}\` must be one of ${allowed.join(", ")} (got ${JSON.stringify(raw)})`,
      { field },
    );
  }
  return raw as T;
}

/** Validates a `{k: string}` tag map (`allowNull` for patches where null removes a key). */
export function validateTags(tags: unknown, allowNull: boolean): Record<string, string | null> {
  const obj = tags as Record<string, unknown>;
  if (typeof tags !== "object" || tags === null || Array.isArray(tags)) {
    throw mesaErrors.badRequest("`tags` must be an object of string values", { field: "tags" });
  }
  for (const [k, v] of Object.entries(obj)) {
    if (!/^[A-Za-z0-9._:/-]{1,128}$/.test(k))
      throw mesaErrors.badRequest(`tag key ${JSON.stringify(k)} is invalid`, { field: "tags" });
    if (!(typeof v === "string" || (allowNull && v === null))) {
      throw mesaErrors.badRequest(
        `tag \`${k}\` must be a string${allowNull ? " or null to remove it" : ""}`,
        { field: `tags.${k}` },
      );
    }
  }
  return obj as Record<string, string | null>;
}
