import { mesaErrors } from "../errors";
import type { TreeEntry } from "../git-repo";
import type { Handler } from "../operations";
import { validateContentPath } from "../validate";

const KNOWN_QUERY = new Set(["change_id", "path", "depth"]);
const baseName = (path: string) => path.slice(path.lastIndexOf("/") + 1);

function parseDepth(raw: string | null): number {
  if (raw === null) return 1;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 10)
    throw mesaErrors.badRequest("`depth` must be an integer from 0 to 10", { field: "depth" });
  return n;
}

function entryJson(e: TreeEntry, fullPath: string) {
  const common = { name: baseName(fullPath), path: fullPath, sha: e.oid };
  if (e.type === "tree") return { type: "dir" as const, ...common };
  if (e.mode === "120000")
    return { type: "symlink" as const, ...common, size: e.size ?? 0, mode: e.mode };
  return { type: "file" as const, ...common, size: e.size ?? 0, mode: e.mode };
}

/**
 * `GET /{org}/{repo}/content`: a file, symlink or directory at `path` of `change_id` (default:
 * the default bookmark's tip). Unknown query keys and `metadata[k]` are metadata filters on
 * directory entries; this backend stores no metadata, so a filter matches no entry.
 */
export const getContent: Handler = async ({ repo, query, accept, services }) => {
  const { storage } = services;
  const path = validateContentPath(query.get("path"));
  const depth = parseDepth(query.get("depth"));
  const changeId =
    query.get("change_id") ?? (await storage.bookmarkTip(repo, repo.defaultBookmark)).changeId;
  const change = await storage.resolve(repo, changeId, "change_id");
  const git = storage.gitFor(repo);
  const entry = await git.entryAt(change.commit.oid, path);
  if (!entry || entry.type === "commit")
    throw mesaErrors.notFound(`Path "${path}" in change ${change.changeId}`);
  const wantsRaw = /application\/octet-stream/.test(accept);
  if (entry.type === "blob") {
    const data = await git.readBlob(entry.oid);
    if (wantsRaw)
      return {
        status: 200,
        body: undefined,
        raw: { contentType: "application/octet-stream", data },
      };
    const json = entryJson({ ...entry, size: data.length }, path);
    return { status: 200, body: { ...json, encoding: "base64", content: data.toString("base64") } };
  }
  if (wantsRaw)
    throw mesaErrors.notAcceptable(
      `"${path || "/"}" is a directory; request it with Accept: application/json`,
    );
  const all = await git.listTree(entry.oid, depth > 1);
  const filters = [...query.keys()].filter((k) => !KNOWN_QUERY.has(k));
  // A filter is `metadata[<key>]=<value>` or a bare `<key>=<value>`; a bracketed suffix beyond that
  // (`k[0]`, `metadata[a][b]`) is a nested value, and metadata values are strings.
  const nested = filters.find((k) => /\]$/.test(k) && !/^metadata\[[^[\]]+\]$/.test(k));
  if (nested !== undefined) {
    throw mesaErrors.badRequest(
      `metadata filter ${JSON.stringify(nested)} is not \`metadata[<key>]=<string>\`; filter values must be strings`,
      { field: "metadata" },
    );
  }
  const filtered = filters.length > 0;
  const prefix = path === "" ? "" : `${path}/`;
  const entries = filtered
    ? []
    : all
        .filter((e) => e.path.split("/").length <= depth)
        .map((e) => entryJson(e, prefix + e.path));
  return {
    status: 200,
    body: {
      type: "dir",
      name: baseName(path),
      path,
      sha: entry.oid,
      child_count: all.filter((e) => !e.path.includes("/")).length,
      entries,
    },
  };
};
