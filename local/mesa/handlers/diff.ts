import { mesaErrors } from "../errors";
import type { Handler } from "../operations";
import { parseUnifiedDiff } from "../unified-diff";

/** `GET /{org}/{repo}/diff`: file-level diff with hunks between two changes (either may be the virtual root). */
export const getDiff: Handler = async ({ repo, query, services }) => {
  const conflicts = query.get("conflicts") ?? "include";
  if (!["include", "only", "exclude"].includes(conflicts)) {
    throw mesaErrors.badRequest("`conflicts` must be include, only or exclude", {
      field: "conflicts",
    });
  }
  const { storage } = services;
  const base = await storage.resolve(repo, query.get("base_change_id"), "base_change_id");
  const head = await storage.resolve(repo, query.get("head_change_id"), "head_change_id");
  const entries =
    conflicts === "only"
      ? []
      : parseUnifiedDiff(await storage.gitFor(repo).diff(base.commit.oid, head.commit.oid));
  const count = (kind: string) =>
    entries.reduce(
      (n, e) =>
        n + (e.hunks ?? []).reduce((m, h) => m + h.lines.filter((l) => l.kind === kind).length, 0),
      0,
    );
  return {
    status: 200,
    body: {
      base_change_id: base.changeId,
      head_change_id: head.changeId,
      stats: {
        entries: entries.length,
        additions: count("added"),
        deletions: count("deleted"),
        changes: count("added") + count("deleted"),
        conflicted_entries: 0,
        conflicted_hunks: 0,
      },
      truncated: false,
      entries,
      conflicted_entries: [],
    },
  };
};
