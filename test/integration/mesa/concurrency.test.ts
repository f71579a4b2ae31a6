import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VIRTUAL_ROOT_CHANGE_ID } from "../../../local/mesa";
import { AUTHOR, b64, startHarness, uniqueName, type Harness } from "./harness";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.mesa.stop());

/** One writer: read the tip, create a change on it, move the bookmark; retry on 409. */
async function writer(repo: string, path: string, attempts: { conflicts: number }) {
  for (let i = 0; i < 20; i++) {
    const tip = await h.client.bookmarks.get({ repo, bookmark: "main" });
    const change = await h.client.changes.create({
      repo,
      base_change_id: tip.change_id,
      message: path,
      author: AUTHOR,
      files: [{ path, content: b64(path) }],
    });
    try {
      await h.client.bookmarks.move({ repo, bookmark: "main", change_id: change.id });
      return;
    } catch (err) {
      if ((err as { status?: number }).status !== 409) throw err;
      attempts.conflicts++;
    }
  }
  throw new Error(`writer for ${path} never landed`);
}

describe("concurrent writers on one bookmark", () => {
  it("never silently drop an edit: every write lands, losers see 409 and retry", async () => {
    const repo = uniqueName();
    await h.client.repos.create({ name: repo });
    const attempts = { conflicts: 0 };
    const paths = Array.from({ length: 6 }, (_, i) => `w${i}.txt`);
    await Promise.all(paths.map((p) => writer(repo, p, attempts)));
    const root = await h.client.content.get({ repo });
    expect(
      root.type === "dir" && root.entries.map((e) => e.path).sort(),
      "every writer's file is on main",
    ).toEqual(paths);
    expect(attempts.conflicts, "parallel writers on one tip must have collided").toBeGreaterThan(0);
  });

  it("a move from a stale base answers 409 and leaves the bookmark unchanged", async () => {
    const repo = uniqueName();
    await h.client.repos.create({ name: repo });
    const a = await h.client.changes.create({
      repo,
      base_change_id: VIRTUAL_ROOT_CHANGE_ID,
      message: "a",
      author: AUTHOR,
      files: [{ path: "a", content: b64("a") }],
    });
    const b = await h.client.changes.create({
      repo,
      base_change_id: VIRTUAL_ROOT_CHANGE_ID,
      message: "b",
      author: AUTHOR,
      files: [{ path: "b", content: b64("b") }],
    });
    const results = await Promise.allSettled([
      h.client.bookmarks.move({ repo, bookmark: "main", change_id: a.id }),
      h.client.bookmarks.move({ repo, bookmark: "main", change_id: b.id }),
    ]);
    const statuses = results.map((r) =>
      r.status === "fulfilled" ? 200 : (r.reason as { status: number }).status,
    );
    expect(statuses.sort()).toEqual([200, 409]);
    const winner = results[0].status === "fulfilled" ? a.id : b.id;
    expect((await h.client.bookmarks.get({ repo, bookmark: "main" })).change_id).toBe(winner);
  });
});
