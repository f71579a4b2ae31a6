import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VIRTUAL_ROOT_CHANGE_ID } from "../../../local/mesa";
import {
  AUTHOR,
  apiError,
  b64,
  fileContent,
  startHarness,
  uniqueName,
  type Harness,
} from "./harness";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.mesa.stop());

/** A repo whose main holds `files`; returns its name and the change id at main. */
async function seeded(files: Record<string, string>) {
  const repo = uniqueName();
  await h.client.repos.create({ name: repo });
  const change = await h.client.changes.create({
    repo,
    base_change_id: VIRTUAL_ROOT_CHANGE_ID,
    message: "seed",
    author: AUTHOR,
    files: Object.entries(files).map(([path, text]) => ({
      path,
      content: b64(text),
      encoding: "base64" as const,
    })),
  });
  await h.client.bookmarks.move({ repo, bookmark: "main", change_id: change.id });
  return { repo, changeId: change.id };
}

describe("changes", () => {
  it("creates a change with upserts and deletes without moving any bookmark", async () => {
    const { repo, changeId } = await seeded({ "a.txt": "a\n", "b.txt": "b\n" });
    const next = await h.client.changes.create({
      repo,
      base_change_id: changeId,
      message: "edit",
      author: AUTHOR,
      files: [
        { path: "a.txt", content: b64("a2\n"), mode: "100755" },
        { path: "b.txt", action: "delete" },
      ],
    });
    expect(next.id).toMatch(/^[k-z]{32}$/);
    expect(next.parents).toEqual([changeId]);
    expect(
      (await h.client.bookmarks.get({ repo, bookmark: "main" })).change_id,
      "bookmarks do not move",
    ).toBe(changeId);
    const got = await h.client.changes.get({ repo, change_id: next.id });
    expect(got).toMatchObject({
      id: next.id,
      message: "edit",
      files: ["a.txt", "b.txt"],
      conflicts: [],
    });
    const file = await h.client.content.get({ repo, change_id: next.id, path: "a.txt" });
    expect(file).toMatchObject({ type: "file", mode: "100755", content: b64("a2\n"), size: 3 });
  });

  it("keeps the change id stable across patch and moves the bookmark with it", async () => {
    const { repo, changeId } = await seeded({ "a.txt": "1\n" });
    const before = await h.client.changes.get({ repo, change_id: changeId });
    const patched = await h.client.changes.patch({
      repo,
      change_id: changeId,
      message: "amended",
      files: [{ path: "a.txt", content: b64("2\n") }],
      base_commit_oid: before.current_commit_oid,
    });
    expect(patched.id).toBe(changeId);
    expect(patched.current_commit_oid).not.toBe(before.current_commit_oid);
    expect((await h.client.bookmarks.get({ repo, bookmark: "main" })).change_id).toBe(changeId);
    expect(fileContent(await h.client.content.get({ repo, path: "a.txt" }))).toBe(b64("2\n"));
    const stale = await apiError(
      h.client.changes.patch({
        repo,
        change_id: changeId,
        message: "again",
        base_commit_oid: before.current_commit_oid,
      }),
    );
    expect(stale.status, "a stale base_commit_oid is a conflict").toBe(409);
    expect((await h.client.changes.get({ repo, change_id: changeId })).message).toBe("amended");
  });

  it("lists the changes reachable from a bookmark, newest first, with pagination", async () => {
    const { repo, changeId } = await seeded({ "a.txt": "1\n" });
    const second = await h.client.changes.create({
      repo,
      base_change_id: changeId,
      message: "two",
    });
    await h.client.bookmarks.move({ repo, bookmark: "main", change_id: second.id });
    const page1 = await h.client.changes.list({ repo, bookmark: "main", limit: 1 });
    expect(page1.changes.map((c) => c.id)).toEqual([second.id]);
    expect(page1.has_more).toBe(true);
    const page2 = await h.client.changes.list({
      repo,
      bookmark: "main",
      limit: 1,
      cursor: page1.next_cursor!,
    });
    expect(page2.changes.map((c) => c.id)).toEqual([changeId]);
    expect(page2.has_more).toBe(false);
  });
});

describe("content", () => {
  it("returns directory shapes with depth and the empty tree at the virtual root", async () => {
    const { repo } = await seeded({ "top.txt": "t", "src/lib/x.ts": "x", "src/y.ts": "y" });
    const root = await h.client.content.get({ repo });
    expect(root.type).toBe("dir");
    if (root.type !== "dir") return;
    expect(root.child_count).toBe(2);
    expect(root.entries.map((e) => `${e.type}:${e.path}`).sort()).toEqual([
      "dir:src",
      "file:top.txt",
    ]);
    const deep = await h.client.content.get({ repo, path: "src", depth: 2 });
    expect(deep.type === "dir" && deep.entries.map((e) => e.path).sort()).toEqual([
      "src/lib",
      "src/lib/x.ts",
      "src/y.ts",
    ]);
    const meta = await h.client.content.get({ repo, path: "src", depth: 0 });
    expect(meta.type === "dir" && meta.entries).toEqual([]);
    const empty = await h.client.content.get({ repo, change_id: VIRTUAL_ROOT_CHANGE_ID });
    expect(empty.type === "dir" && empty.child_count).toBe(0);
    expect((await apiError(h.client.content.get({ repo, path: "nope.txt" }))).status).toBe(404);
  });
});

describe("bookmarks", () => {
  it("creates, gets (with %2F in the name), lists by glob, and deletes", async () => {
    const { repo, changeId } = await seeded({ "a.txt": "a" });
    const created = await h.client.bookmarks.create({ repo, name: "feat/x", change_id: changeId });
    expect(created).toEqual({ name: "feat/x", change_id: changeId, is_default: false });
    expect(await h.client.bookmarks.get({ repo, bookmark: "feat/x" })).toEqual(created);
    await h.client.bookmarks.create({ repo, name: "feat/y", change_id: VIRTUAL_ROOT_CHANGE_ID });
    const feats = await h.client.bookmarks.list({ repo, glob: "feat/*" });
    expect(feats.bookmarks.map((b) => b.name)).toEqual(["feat/x", "feat/y"]);
    expect(
      (await apiError(h.client.bookmarks.create({ repo, name: "feat/x", change_id: changeId })))
        .status,
    ).toBe(409);
    expect(await h.client.bookmarks.delete({ repo, bookmark: "feat/x" })).toEqual({
      success: true,
    });
    expect((await apiError(h.client.bookmarks.get({ repo, bookmark: "feat/x" }))).status).toBe(404);
  });

  it("moves forward, reporting the previous change", async () => {
    const { repo, changeId } = await seeded({ "a.txt": "a" });
    const next = await h.client.changes.create({ repo, base_change_id: changeId, message: "n" });
    const moved = await h.client.bookmarks.move({ repo, bookmark: "main", change_id: next.id });
    expect(moved).toEqual({
      name: "main",
      change_id: next.id,
      is_default: true,
      from_change_id: changeId,
    });
  });

  it("merges: no-op, merge commit, and MERGE_CONFLICT that persists nothing", async () => {
    const { repo, changeId } = await seeded({ "a.txt": "a\n", "c.txt": "c\n" });
    await h.client.bookmarks.create({ repo, name: "side", change_id: changeId });
    expect(
      (await h.client.bookmarks.merge({ repo, target: "main", source: "side" })).merge_type,
    ).toBe("no_op");
    const onSide = await h.client.changes.create({
      repo,
      base_change_id: changeId,
      message: "s",
      author: AUTHOR,
      files: [{ path: "s.txt", content: b64("s\n") }],
    });
    await h.client.bookmarks.move({ repo, bookmark: "side", change_id: onSide.id });
    const onMain = await h.client.changes.create({
      repo,
      base_change_id: changeId,
      message: "m",
      author: AUTHOR,
      files: [{ path: "m.txt", content: b64("m\n") }],
    });
    await h.client.bookmarks.move({ repo, bookmark: "main", change_id: onMain.id });
    const merged = await h.client.bookmarks.merge({
      repo,
      target: "main",
      source: "side",
      delete_source: true,
    });
    expect(merged).toMatchObject({
      merge_type: "merge_commit",
      is_conflicted: false,
      target: "main",
      source: "side",
      source_deleted: true,
    });
    const mergeChange = await h.client.changes.get({ repo, change_id: merged.change_id });
    expect(mergeChange.parents).toEqual([onMain.id, onSide.id]);
    expect(fileContent(await h.client.content.get({ repo, path: "s.txt" }))).toBe(b64("s\n"));

    const tip = merged.change_id;
    const x = await h.client.changes.create({
      repo,
      base_change_id: tip,
      message: "x",
      author: AUTHOR,
      files: [{ path: "c.txt", content: b64("x\n") }],
    });
    const y = await h.client.changes.create({
      repo,
      base_change_id: tip,
      message: "y",
      author: AUTHOR,
      files: [{ path: "c.txt", content: b64("y\n") }],
    });
    await h.client.bookmarks.create({ repo, name: "bx", change_id: x.id });
    await h.client.bookmarks.create({ repo, name: "by", change_id: y.id });
    const conflict = await apiError(h.client.bookmarks.merge({ repo, target: "bx", source: "by" }));
    expect(conflict.status).toBe(409);
    expect(conflict.code).toBe("MERGE_CONFLICT");
    expect(
      (conflict.body as { error: { details: { conflict_paths: string[] } } }).error.details
        .conflict_paths,
    ).toEqual(["c.txt"]);
    expect(
      (await h.client.bookmarks.get({ repo, bookmark: "bx" })).change_id,
      "nothing persisted",
    ).toBe(x.id);
  });
});

describe("diff", () => {
  it("reports added, modified and deleted files with hunks", async () => {
    const { repo, changeId } = await seeded({ "a.txt": "1\n2\n", "gone.txt": "g\n" });
    const next = await h.client.changes.create({
      repo,
      base_change_id: changeId,
      message: "d",
      author: AUTHOR,
      files: [
        { path: "a.txt", content: b64("1\n3\n") },
        { path: "gone.txt", action: "delete" },
        { path: "new.txt", content: b64("n\n") },
      ],
    });
    const diff = await h.client.diffs.get({
      repo,
      base_change_id: changeId,
      head_change_id: next.id,
    });
    expect(diff.entries.map((e) => `${e.status}:${e.path}`)).toEqual([
      "modified:a.txt",
      "deleted:gone.txt",
      "added:new.txt",
    ]);
    expect(diff.stats).toMatchObject({ entries: 3, additions: 2, deletions: 2 });
    expect(diff.entries[0].hunks?.[0].lines).toEqual([
      { kind: "context", text: "1" },
      { kind: "deleted", text: "2" },
      { kind: "added", text: "3" },
    ]);
    const fromRoot = await h.client.diffs.get({
      repo,
      base_change_id: VIRTUAL_ROOT_CHANGE_ID,
      head_change_id: changeId,
    });
    expect(fromRoot.entries.map((e) => e.status)).toEqual(["added", "added"]);
  });
});
