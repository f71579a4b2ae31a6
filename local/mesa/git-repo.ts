import { randomUUID } from "node:crypto";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { git, runGit } from "./git-exec";

/** The all-zero object id git uses for "no ref" in compare-and-swap updates. */
export const ZERO_OID = "0".repeat(40);

/** A person line of a commit. */
export interface Signature {
  name: string;
  email: string;
  /** ISO-8601 time. */
  date: string;
}

/** A parsed commit object. */
export interface CommitInfo {
  oid: string;
  tree: string;
  parents: string[];
  author: Signature;
  committer: Signature;
  /** Value of the `change-id` header (JJ stores the change id the same way). */
  changeId?: string;
  message: string;
}

/** One entry of a tree listing. */
export interface TreeEntry {
  mode: string;
  type: "blob" | "tree" | "commit";
  oid: string;
  /** Size in bytes for blobs. */
  size?: number;
  /** Path relative to the listed tree. */
  path: string;
}

/** A file operation applied to a tree. */
export type TreeEdit =
  | { action: "upsert"; path: string; content: Buffer; mode: "100644" | "100755" | "120000" }
  | { action: "delete"; path: string };

/** Drops sub-second precision, which git commits cannot store. */
export const truncateToSeconds = (iso: string) =>
  new Date(Math.floor(Date.parse(iso) / 1000) * 1000).toISOString();

const toGitDate = (iso: string) => `${Math.floor(Date.parse(iso) / 1000)} +0000`;
const fromGitDate = (raw: string) => new Date(Number(raw.split(" ")[0]) * 1000).toISOString();

function parseSignature(line: string): Signature {
  const m = /^(.*) <([^>]*)> (\d+ [+-]\d{4})$/.exec(line);
  if (!m) return { name: line, email: "", date: new Date(0).toISOString() };
  return { name: m[1], email: m[2], date: fromGitDate(m[3]) };
}

/** One Mesa repository stored as a bare git repository, driven through the git CLI. */
export class GitRepo {
  constructor(readonly gitDir: string) {}

  /** Creates the bare repository (idempotent). */
  async init(): Promise<void> {
    await git(this.gitDir, ["init", "--bare", "-q", "--initial-branch=main", this.gitDir]);
  }

  /**
   * Writes blobs with a single `git hash-object -w --stdin-paths` and returns their ids in order.
   * The contents are staged as temporary files inside the git directory, removed afterwards.
   */
  async writeBlobs(contents: Buffer[]): Promise<string[]> {
    if (contents.length === 0) return [];
    const dir = join(this.gitDir, `blobs-${randomUUID()}`);
    try {
      await mkdir(dir);
      const files = contents.map((_, i) => join(dir, String(i)));
      await Promise.all(contents.map((c, i) => writeFile(files[i], c)));
      const out = await git(this.gitDir, ["hash-object", "-w", "--no-filters", "--stdin-paths"], {
        input: files.join("\n") + "\n",
      });
      const oids = out.toString().split("\n").filter(Boolean);
      if (oids.length !== contents.length)
        throw new Error(`git hash-object wrote ${oids.length} blobs, expected ${contents.length}`);
      return oids;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /**
   * Applies `edits` to the tree whose recursive listing (`listTree(tree, true)`) is `base` and
   * returns the new tree id. Blobs are written first, then the tree is built in a temporary index.
   */
  async editTree(base: TreeEntry[], edits: TreeEdit[]): Promise<string> {
    const upserts = edits.filter(
      (e): e is Extract<TreeEdit, { action: "upsert" }> => e.action === "upsert",
    );
    const blobs = await this.writeBlobs(upserts.map((e) => e.content));
    const entries = new Map(
      base.filter((e) => e.type !== "tree").map((e) => [e.path, `${e.mode} ${e.oid}\t${e.path}`]),
    );
    for (const e of edits) if (e.action === "delete") entries.delete(e.path);
    upserts.forEach((e, i) => entries.set(e.path, `${e.mode} ${blobs[i]}\t${e.path}`));
    const index = join(this.gitDir, `index-${randomUUID()}`);
    const env = { GIT_INDEX_FILE: index };
    try {
      const lines = [...entries.values()];
      if (lines.length > 0)
        await git(this.gitDir, ["update-index", "-z", "--index-info"], {
          env,
          input: lines.join("\0") + "\0",
        });
      return (await git(this.gitDir, ["write-tree"], { env })).toString().trim();
    } finally {
      await rm(index, { force: true });
    }
  }

  /** Writes a commit object carrying a `change-id` header and returns its id. */
  async writeCommit(c: Omit<CommitInfo, "oid">): Promise<string> {
    const sig = (s: Signature) => `${s.name} <${s.email}> ${toGitDate(s.date)}`;
    const text =
      `tree ${c.tree}\n` +
      c.parents.map((p) => `parent ${p}\n`).join("") +
      `author ${sig(c.author)}\n` +
      `committer ${sig(c.committer)}\n` +
      (c.changeId ? `change-id ${c.changeId}\n` : "") +
      `\n${c.message}`;
    return (
      await git(this.gitDir, ["hash-object", "-t", "commit", "-w", "--stdin"], { input: text })
    )
      .toString()
      .trim();
  }

  /** Reads and parses a commit. */
  async readCommit(oid: string): Promise<CommitInfo> {
    const raw = (await git(this.gitDir, ["cat-file", "commit", oid])).toString("utf8");
    const split = raw.indexOf("\n\n");
    const head = split < 0 ? raw : raw.slice(0, split);
    const message = split < 0 ? "" : raw.slice(split + 2);
    const info: CommitInfo = {
      oid,
      tree: "",
      parents: [],
      author: parseSignature(""),
      committer: parseSignature(""),
      message,
    };
    for (const line of head.split("\n")) {
      const sp = line.indexOf(" ");
      const key = line.slice(0, sp);
      const value = line.slice(sp + 1);
      if (key === "tree") info.tree = value;
      else if (key === "parent") info.parents.push(value);
      else if (key === "author") info.author = parseSignature(value);
      else if (key === "committer") info.committer = parseSignature(value);
      else if (key === "change-id") info.changeId = value;
    }
    return info;
  }

  /** Every bookmark (branch) and the commit it points at. */
  async listRefs(): Promise<Map<string, string>> {
    const out = await git(this.gitDir, [
      "for-each-ref",
      "--format=%(objectname) %(refname)",
      "refs/heads/",
    ]);
    const refs = new Map<string, string>();
    for (const line of out.toString("utf8").split("\n")) {
      if (!line) continue;
      const sp = line.indexOf(" ");
      refs.set(line.slice(sp + 1 + "refs/heads/".length), line.slice(0, sp));
    }
    return refs;
  }

  /** The commit a bookmark points at, or undefined when the bookmark does not exist. */
  async readRef(bookmark: string): Promise<string | undefined> {
    const r = await runGit(this.gitDir, [
      "rev-parse",
      "--verify",
      "-q",
      `refs/heads/${bookmark}^{commit}`,
    ]);
    return r.code === 0 ? r.stdout.toString().trim() : undefined;
  }

  /**
   * Compare-and-swap of a bookmark: sets it to `next` only if it still points at `expected`
   * (`ZERO_OID` = must not exist). Returns false when another writer got there first.
   */
  async casRef(bookmark: string, next: string, expected: string): Promise<boolean> {
    const r = await runGit(this.gitDir, ["update-ref", `refs/heads/${bookmark}`, next, expected]);
    return r.code === 0;
  }

  /** Deletes a bookmark if it still points at `expected`; returns false otherwise. */
  async deleteRef(bookmark: string, expected: string): Promise<boolean> {
    const r = await runGit(this.gitDir, ["update-ref", "-d", `refs/heads/${bookmark}`, expected]);
    return r.code === 0;
  }

  /** True when `ancestor` is reachable from `descendant` (or equal to it). */
  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    const r = await runGit(this.gitDir, ["merge-base", "--is-ancestor", ancestor, descendant]);
    if (r.code > 1) throw new Error(`git merge-base failed: ${r.stderr.trim()}`);
    return r.code === 0;
  }

  /** Commits reachable from `tip`, newest first (topological). */
  async revList(tip: string, limit?: number): Promise<string[]> {
    const args = ["rev-list", "--topo-order", ...(limit ? [`--max-count=${limit}`] : []), tip];
    return (await git(this.gitDir, args)).toString("utf8").split("\n").filter(Boolean);
  }

  /**
   * The entry at `path` in `treeish`, or undefined when absent. The root (`""`) is the tree itself.
   */
  async entryAt(treeish: string, path: string): Promise<TreeEntry | undefined> {
    if (path === "") {
      const oid = (await git(this.gitDir, ["rev-parse", `${treeish}^{tree}`])).toString().trim();
      return { mode: "040000", type: "tree", oid, path: "" };
    }
    const entries = await this.parseLsTree(["ls-tree", "-l", "-z", treeish, "--", path]);
    return entries.find((e) => e.path === path);
  }

  /** Entries under tree `treeOid`, recursing into subtrees when `recursive`. */
  async listTree(treeOid: string, recursive: boolean): Promise<TreeEntry[]> {
    return this.parseLsTree(["ls-tree", "-l", "-z", ...(recursive ? ["-r", "-t"] : []), treeOid]);
  }

  private async parseLsTree(args: string[]): Promise<TreeEntry[]> {
    const out = (await git(this.gitDir, args)).toString("utf8");
    return out
      .split("\0")
      .filter(Boolean)
      .map((rec) => {
        const tab = rec.indexOf("\t");
        const [mode, type, oid, size] = rec.slice(0, tab).split(/\s+/);
        return {
          mode,
          type: type as TreeEntry["type"],
          oid,
          ...(size !== "-" && { size: Number(size) }),
          path: rec.slice(tab + 1),
        };
      });
  }

  /** The bytes of a blob. */
  async readBlob(oid: string): Promise<Buffer> {
    return git(this.gitDir, ["cat-file", "blob", oid]);
  }

  /** Paths that differ between two commits or trees. */
  async changedPaths(base: string, head: string): Promise<string[]> {
    const out = await git(this.gitDir, [
      "diff-tree",
      "-r",
      "-z",
      "--name-only",
      "--no-renames",
      base,
      head,
    ]);
    return out.toString("utf8").split("\0").filter(Boolean);
  }

  /** Unified diff (3 lines of context, no rename detection) between two trees or commits. */
  async diff(base: string, head: string): Promise<string> {
    return (
      await git(this.gitDir, [
        "diff-tree",
        "-r",
        "-p",
        "--no-renames",
        "--no-color",
        "--full-index",
        base,
        head,
      ])
    ).toString("utf8");
  }

  /**
   * Three-way merge of two commits without touching any ref (`git merge-tree --write-tree`).
   * Returns the merged tree, or the conflicting paths.
   */
  async mergeTrees(target: string, source: string): Promise<{ tree: string; conflicts: string[] }> {
    const r = await runGit(this.gitDir, [
      "merge-tree",
      "--write-tree",
      "--name-only",
      "-z",
      "--no-messages",
      target,
      source,
    ]);
    if (r.code > 1) throw new Error(`git merge-tree failed: ${r.stderr.trim()}`);
    const parts = r.stdout.toString("utf8").split("\0").filter(Boolean);
    return { tree: parts[0], conflicts: r.code === 1 ? parts.slice(1) : [] };
  }
}
