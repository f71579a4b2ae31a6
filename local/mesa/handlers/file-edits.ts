import { mesaErrors } from "../errors";
import { truncateToSeconds, type Signature, type TreeEdit, type TreeEntry } from "../git-repo";
import { decodeContent, parsePathEntries } from "../validate";

/** Validates the `files` array of a change create/patch into tree edits (400 naming the entry). */
export function parseFileEdits(raw: unknown): TreeEdit[] {
  return parsePathEntries(raw, "files", (f, path, field): TreeEdit => {
    if (f.action === "delete") return { action: "delete", path };
    if (f.action !== undefined && f.action !== "upsert") {
      throw mesaErrors.badRequest(`\`${field}.action\` must be upsert or delete`, {
        field: `${field}.action`,
      });
    }
    const content = decodeContent(f, field);
    const mode = f.mode ?? "100644";
    // 120000 (a symlink whose content is its target) is a local extension: see DIVERGENCES.md.
    if (mode !== "100644" && mode !== "100755" && mode !== "120000") {
      throw mesaErrors.badRequest(`\`${field}.mode\` must be 100644, 100755 or 120000 (symlink)`, {
        field: `${field}.mode`,
      });
    }
    return { action: "upsert", path, content, mode };
  });
}

/**
 * Checks edits against the base tree's recursive listing (`GitRepo.listTree(tree, true)`):
 * deletes must name an existing file, upserts must not replace a directory or put a file under
 * an existing file.
 */
export function checkEditsAgainstTree(listing: TreeEntry[], edits: TreeEdit[]): void {
  const entries = new Map(listing.map((e) => [e.path, e.type]));
  edits.forEach((e, i) => {
    const field = `files[${i}].path`;
    if (e.action === "delete" && entries.get(e.path) !== "blob") {
      throw mesaErrors.badRequest(
        `\`${field}\`: cannot delete "${e.path}": no such file in the base change`,
        { field },
      );
    }
    if (e.action === "upsert") {
      if (entries.get(e.path) === "tree")
        throw mesaErrors.badRequest(`\`${field}\`: "${e.path}" is a directory in the base change`, {
          field,
        });
      const parts = e.path.split("/");
      for (let n = 1; n < parts.length; n++) {
        const prefix = parts.slice(0, n).join("/");
        if (entries.get(prefix) === "blob")
          throw mesaErrors.badRequest(`\`${field}\`: "${prefix}" is a file in the base change`, {
            field,
          });
      }
    }
  });
}

/** Parses an optional `{name, email, date?}`; `fallback` when absent. */
export function parseSignature(raw: unknown, field: string, fallback: Signature): Signature {
  if (raw === undefined) return { ...fallback, date: truncateToSeconds(fallback.date) };
  const s = raw as Record<string, unknown>;
  if (
    typeof raw !== "object" ||
    raw === null ||
    typeof s.name !== "string" ||
    typeof s.email !== "string"
  ) {
    throw mesaErrors.badRequest(`\`${field}\` must be {name, email, date?}`, { field });
  }
  if (s.date !== undefined && (typeof s.date !== "string" || Number.isNaN(Date.parse(s.date)))) {
    throw mesaErrors.badRequest(`\`${field}.date\` must be an ISO-8601 time`, {
      field: `${field}.date`,
    });
  }
  return {
    name: s.name,
    email: s.email,
    date: truncateToSeconds(s.date === undefined ? fallback.date : s.date),
  };
}
