/** One hunk of a Mesa diff entry. */
interface DiffHunk {
  old_start: number;
  old_lines: number;
  new_start: number;
  new_lines: number;
  lines: { kind: "context" | "added" | "deleted" | "annotation"; text: string }[];
}

/** One file of a Mesa diff. */
interface DiffEntry {
  path: string;
  status: "added" | "modified" | "deleted" | "renamed";
  old_path: string | null;
  is_conflicted: false;
  omitted_reason: "binary" | null;
  hunks: DiffHunk[] | null;
  conflict_hunks: null;
}

const unquote = (p: string) => (p.startsWith('"') ? (JSON.parse(p) as string) : p);

/** Parses `git diff-tree -r -p --no-renames` output into Mesa diff entries. */
export function parseUnifiedDiff(text: string): DiffEntry[] {
  const entries: DiffEntry[] = [];
  let current: DiffEntry | undefined;
  let hunk: DiffHunk | undefined;
  for (const line of text.split("\n")) {
    if (line.startsWith("diff --git ")) {
      const m = /^diff --git (?:"?a\/)(.*?)"? (?:"?b\/)(.*?)"?$/.exec(line);
      const path = m ? unquote(m[2]) : line.slice(11);
      current = {
        path,
        status: "modified",
        old_path: null,
        is_conflicted: false,
        omitted_reason: null,
        hunks: [],
        conflict_hunks: null,
      };
      hunk = undefined;
      entries.push(current);
    } else if (!current) {
      continue;
    } else if (line.startsWith("new file mode")) {
      current.status = "added";
    } else if (line.startsWith("deleted file mode")) {
      current.status = "deleted";
    } else if (line.startsWith("Binary files")) {
      current.omitted_reason = "binary";
      current.hunks = null;
    } else if (line.startsWith("+++ ") && line !== "+++ /dev/null") {
      current.path = unquote(line.slice(4)).replace(/^b\//, "");
    } else if (line.startsWith("@@ ")) {
      const m = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(line);
      if (!m) continue;
      hunk = {
        old_start: Number(m[1]),
        old_lines: m[2] === undefined ? 1 : Number(m[2]),
        new_start: Number(m[3]),
        new_lines: m[4] === undefined ? 1 : Number(m[4]),
        lines: [],
      };
      current.hunks?.push(hunk);
    } else if (hunk && !line.startsWith("--- ") && !line.startsWith("+++ ")) {
      if (line.startsWith("+")) hunk.lines.push({ kind: "added", text: line.slice(1) });
      else if (line.startsWith("-")) hunk.lines.push({ kind: "deleted", text: line.slice(1) });
      else if (line.startsWith(" ")) hunk.lines.push({ kind: "context", text: line.slice(1) });
      else if (line.startsWith("\\")) hunk.lines.push({ kind: "annotation", text: line });
    }
  }
  return entries;
}
