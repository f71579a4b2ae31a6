import { mesaErrors } from "../errors";
import type { GitRepo, TreeEdit } from "../git-repo";
import { decodeContent, parsePathEntries } from "../validate";

/** A validated resolution: new bytes, one side of the merge taken as it is, or per-hunk (`hunks`). */
export type Resolution =
  | { path: string; content: Buffer }
  | { path: string; take: "target" | "source" }
  | { path: string; hunks: unknown[] };

/** Validates `resolutions` (400 naming the entry). */
export function parseResolutions(raw: unknown): Resolution[] {
  return parsePathEntries(raw, "resolutions", (r, path, field): Resolution => {
    if (r.hunks !== undefined) {
      if (!Array.isArray(r.hunks))
        throw mesaErrors.badRequest(`\`${field}.hunks\` must be an array`, {
          field: `${field}.hunks`,
        });
      return { path, hunks: r.hunks };
    }
    if ((r.content === undefined) === (r.take === undefined)) {
      throw mesaErrors.badRequest(
        `\`${field}\` needs exactly one of \`content\` (base64 bytes) and \`take\` (target or source)`,
        { field },
      );
    }
    if (r.content !== undefined) return { path, content: decodeContent(r, field) };
    if (r.take !== "target" && r.take !== "source")
      throw mesaErrors.badRequest(`\`${field}.take\` must be target or source`, {
        field: `${field}.take`,
      });
    return { path, take: r.take };
  });
}

/** 400 unless every resolution names one of `conflicts` (a path that is not conflicted has nothing to resolve). */
export function requireConflicted(resolutions: Resolution[], conflicts: string[]): void {
  resolutions.forEach((r, i) => {
    if (!conflicts.includes(r.path)) {
      throw mesaErrors.badRequest(
        `\`resolutions[${i}].path\` "${r.path}" is not conflicted${conflicts.length ? ` (conflicted: ${conflicts.join(", ")})` : ""}`,
        {
          field: `resolutions[${i}].path`,
        },
      );
    }
  });
}

/**
 * The tree edits that apply whole-file resolutions to a merge of `target` and `source` commits.
 * Per-hunk resolutions answer 501: their `hunk_id`s come from MERGE_CONFLICT details this backend
 * does not produce.
 */
export async function resolutionEdits(
  git: GitRepo,
  resolutions: Resolution[],
  sides: { target: string; source: string },
): Promise<TreeEdit[]> {
  return Promise.all(
    resolutions.map(async (r): Promise<TreeEdit> => {
      if ("hunks" in r) throw mesaErrors.notImplemented("per-hunk `resolutions` (`hunks`)");
      if ("content" in r)
        return { action: "upsert", path: r.path, content: r.content, mode: "100644" };
      const entry = await git.entryAt(sides[r.take], r.path);
      if (!entry || entry.type !== "blob") return { action: "delete", path: r.path };
      return {
        action: "upsert",
        path: r.path,
        content: await git.readBlob(entry.oid),
        mode: entry.mode as "100644" | "100755" | "120000",
      };
    }),
  );
}
