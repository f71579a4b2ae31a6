import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VIRTUAL_ROOT_CHANGE_ID } from "../../../local/mesa";
import { AUTHOR, apiError, b64, startHarness, uniqueName, type Harness } from "./harness";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ maxBodyBytes: 64 * 1024 });
});
afterAll(() => h.mesa.stop());

async function repoWithFile() {
  const repo = uniqueName();
  await h.client.repos.create({ name: repo });
  const c = await h.client.changes.create({
    repo,
    base_change_id: VIRTUAL_ROOT_CHANGE_ID,
    message: "s",
    author: AUTHOR,
    files: [{ path: "a.txt", content: b64("a") }],
  });
  await h.client.bookmarks.move({ repo, bookmark: "main", change_id: c.id });
  return { repo, changeId: c.id };
}

describe("bad input gets a 4xx naming the problem and changes nothing", () => {
  it.each([
    ["../etc/passwd", /'\.\.'/],
    ["/abs.txt", /absolute/],
    ["a//b.txt", /empty segment/],
    [".git/config", /\.git/],
  ])("file path %s", async (path, message) => {
    const { repo, changeId } = await repoWithFile();
    const err = await apiError(
      h.client.changes.create({
        repo,
        base_change_id: changeId,
        message: "x",
        author: AUTHOR,
        files: [{ path, content: b64("x") }],
      }),
    );
    expect(err.status).toBe(400);
    expect(err.message).toMatch(message);
    expect(
      (await h.client.changes.list({ repo })).changes.map((c) => c.id),
      "no change was recorded",
    ).toEqual([changeId]);
  });

  it("invalid and reserved repo names", async () => {
    for (const name of ["bad name", "../x", "repos", "-x", "a".repeat(101)]) {
      const err = await apiError(h.client.repos.create({ name }));
      expect(err.status, name).toBe(400);
      expect(err.message).toMatch(/name/);
    }
  });

  it("unknown bookmark and unknown change", async () => {
    const { repo, changeId } = await repoWithFile();
    const missing = await apiError(
      h.client.bookmarks.move({ repo, bookmark: "nope", change_id: changeId }),
    );
    expect(missing.status).toBe(404);
    expect(missing.message).toContain('"nope"');
    const badId = await apiError(h.client.changes.create({ repo, base_change_id: "abc" }));
    expect(badId.status).toBe(400);
    expect(badId.message).toContain("base_change_id");
    expect(
      (await apiError(h.client.changes.create({ repo, base_change_id: "k".repeat(32) }))).status,
    ).toBe(404);
  });

  it("files without author or message, deleting a missing file, duplicate paths", async () => {
    const { repo, changeId } = await repoWithFile();
    const noAuthor = await apiError(
      h.client.changes.create({
        repo,
        base_change_id: changeId,
        message: "m",
        files: [{ path: "b", content: b64("b") }],
      } as never),
    );
    expect(noAuthor.message).toMatch(/author/);
    const del = await apiError(
      h.client.changes.create({
        repo,
        base_change_id: changeId,
        message: "m",
        author: AUTHOR,
        files: [{ path: "zz.txt", action: "delete" }],
      }),
    );
    expect(del.message).toContain("zz.txt");
    const dup = await apiError(
      h.client.changes.create({
        repo,
        base_change_id: changeId,
        message: "m",
        author: AUTHOR,
        files: [
          { path: "b", content: b64("1") },
          { path: "b", content: b64("2") },
        ],
      }),
    );
    expect(dup.message).toMatch(/twice/);
    expect((await h.client.changes.list({ repo })).changes).toHaveLength(1);
  });

  it("an oversize body answers 413", async () => {
    const { repo, changeId } = await repoWithFile();
    const big = Buffer.alloc(100 * 1024, 1).toString("base64");
    const err = await apiError(
      h.client.changes.create({
        repo,
        base_change_id: changeId,
        message: "m",
        author: AUTHOR,
        files: [{ path: "big.bin", content: big }],
      }),
    );
    expect(err.status).toBe(413);
    expect(err.code).toBe("PAYLOAD_TOO_LARGE");
    expect((await h.client.changes.list({ repo })).changes).toHaveLength(1);
  });
});
