import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VIRTUAL_ROOT_CHANGE_ID } from "../../../local/mesa";
import { ErrorCodes, mesaErrors } from "../../../local/mesa/errors";
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

/** A repo whose bookmarks `ours` and `theirs` both change c.txt (and only theirs adds t.txt). */
async function conflicting() {
  const repo = uniqueName();
  await h.client.repos.create({ name: repo });
  const base = await h.client.changes.create({
    repo,
    base_change_id: VIRTUAL_ROOT_CHANGE_ID,
    message: "base",
    author: AUTHOR,
    files: [{ path: "c.txt", content: b64("c\n") }],
  });
  const ours = await h.client.changes.create({
    repo,
    base_change_id: base.id,
    message: "ours",
    author: AUTHOR,
    files: [{ path: "c.txt", content: b64("ours\n") }],
  });
  const theirs = await h.client.changes.create({
    repo,
    base_change_id: base.id,
    message: "theirs",
    author: AUTHOR,
    files: [
      { path: "c.txt", content: b64("theirs\n") },
      { path: "t.txt", content: b64("t\n") },
    ],
  });
  await h.client.bookmarks.create({ repo, name: "ours", change_id: ours.id });
  await h.client.bookmarks.create({ repo, name: "theirs", change_id: theirs.id });
  return { repo, ours, theirs };
}

const contentAt = async (repo: string, change_id: string, path: string) =>
  fileContent(await h.client.content.get({ repo, change_id, path }));

describe("merge resolutions", () => {
  it("whole-file resolutions (take a side, or new content) turn a conflicting merge into a merge commit", async () => {
    const { repo, ours, theirs } = await conflicting();
    const took = await h.client.bookmarks.merge({
      repo,
      target: "ours",
      source: "theirs",
      resolutions: [{ path: "c.txt", take: "source" }],
    });
    expect(took).toMatchObject({ merge_type: "merge_commit", is_conflicted: false });
    expect(await contentAt(repo, took.change_id, "c.txt")).toBe(b64("theirs\n"));
    expect(
      await contentAt(repo, took.change_id, "t.txt"),
      "the clean part of the merge is kept",
    ).toBe(b64("t\n"));
    expect((await h.client.changes.get({ repo, change_id: took.change_id })).parents).toEqual([
      ours.id,
      theirs.id,
    ]);

    const again = await conflicting();
    const written = await h.client.bookmarks.merge({
      repo: again.repo,
      target: "ours",
      source: "theirs",
      resolutions: [{ path: "c.txt", content: b64("both\n") }],
    });
    expect(await contentAt(again.repo, written.change_id, "c.txt")).toBe(b64("both\n"));
    expect((await h.client.bookmarks.get({ repo: again.repo, bookmark: "ours" })).change_id).toBe(
      written.change_id,
    );
  });

  it("a resolution for a clean path is 400; per-hunk resolutions and allow_conflicted on a conflict are 501; nothing persists", async () => {
    const { repo, ours } = await conflicting();
    const clean = await apiError(
      h.client.bookmarks.merge({
        repo,
        target: "ours",
        source: "theirs",
        resolutions: [
          { path: "c.txt", take: "target" },
          { path: "t.txt", take: "source" },
        ],
      }),
    );
    expect(clean).toMatchObject({ status: 400, code: ErrorCodes.badRequest });
    expect(clean.message).toContain('"t.txt" is not conflicted');
    const hunks = await apiError(
      h.client.bookmarks.merge({
        repo,
        target: "ours",
        source: "theirs",
        resolutions: [{ path: "c.txt", hunks: [{ hunk_id: "h1", take: "source" }] }],
      }),
    );
    expect(hunks.status).toBe(501);
    const conflicted = await apiError(
      h.client.bookmarks.merge({ repo, target: "ours", source: "theirs", allow_conflicted: true }),
    );
    expect(conflicted.status).toBe(501);
    expect(conflicted.body).toMatchObject(
      mesaErrors
        .notImplemented(
          "bookmarks.merge with `allow_conflicted` on a conflicting merge (conflicted changes)",
        )
        .body(),
    );
    expect(
      (conflicted.body as { error: { trace_id?: string } }).error.trace_id,
      "5xx answers carry a trace_id",
    ).toMatch(/\S/);
    expect(
      (await apiError(h.client.bookmarks.merge({ repo, target: "ours", source: "theirs" }))).code,
    ).toBe(ErrorCodes.mergeConflict);
    expect(
      (await h.client.bookmarks.get({ repo, bookmark: "ours" })).change_id,
      "nothing persisted",
    ).toBe(ours.id);
  });

  it("allow_conflicted on a merge without conflicts merges as usual", async () => {
    const repo = uniqueName();
    await h.client.repos.create({ name: repo });
    const a = await h.client.changes.create({
      repo,
      base_change_id: VIRTUAL_ROOT_CHANGE_ID,
      message: "a",
      author: AUTHOR,
      files: [{ path: "a.txt", content: b64("a") }],
    });
    await h.client.bookmarks.create({ repo, name: "side", change_id: a.id });
    expect(
      await h.client.bookmarks.merge({
        repo,
        target: "main",
        source: "side",
        allow_conflicted: true,
      }),
    ).toMatchObject({ merge_type: "merge_commit", is_conflicted: false });
  });

  it("changes.patch: changes are never conflicted, so a resolution is 400", async () => {
    const { repo, ours } = await conflicting();
    const err = await apiError(
      h.client.changes.patch({
        repo,
        change_id: ours.id,
        resolutions: [{ path: "c.txt", take: "target" }],
      }),
    );
    expect(err).toMatchObject({ status: 400, code: ErrorCodes.badRequest });
    expect(err.message).toContain("not conflicted");
    const hunks = await apiError(
      h.client.changes.patch({
        repo,
        change_id: ours.id,
        resolutions: [{ path: "c.txt", hunks: [{ hunk_id: "h1", take: "source" }] }],
      }),
    );
    expect(hunks.status, "per-hunk too: nothing here is conflicted").toBe(400);
    expect(
      (
        await h.client.changes.patch({
          repo,
          change_id: ours.id,
          message: "renamed",
          resolutions: [],
        })
      ).message,
    ).toBe("renamed");
  });
});
