import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { VIRTUAL_ROOT_CHANGE_ID } from "../../../local/mesa";
import { AUTHOR, b64, fileContent, startHarness, uniqueName } from "./harness";

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

describe("persistence", () => {
  it("keeps repos, changes, bookmarks and the admin key across stop → start", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "mesa-persist-"));
    dirs.push(dataDir);
    const repo = uniqueName();
    const first = await startHarness({ dataDir });
    await first.client.repos.create({ name: repo, tags: { keep: "yes" } });
    const change = await first.client.changes.create({
      repo,
      base_change_id: VIRTUAL_ROOT_CHANGE_ID,
      message: "kept",
      author: AUTHOR,
      files: [{ path: "k.txt", content: b64("kept\n") }],
    });
    await first.client.bookmarks.move({ repo, bookmark: "main", change_id: change.id });
    const key = first.mesa.apiKey;
    await first.mesa.stop();
    expect((await stat(join(dataDir, "admin-key"))).mode & 0o777, "admin key file is private").toBe(
      0o600,
    );

    const second = await startHarness({ dataDir });
    try {
      expect(second.mesa.apiKey, "the admin key survives a restart").toBe(key);
      expect(await second.client.repos.get({ repo })).toMatchObject({
        tags: { keep: "yes" },
        head_change_id: change.id,
      });
      expect(fileContent(await second.client.content.get({ repo, path: "k.txt" }))).toBe(
        b64("kept\n"),
      );
      expect((await second.client.changes.get({ repo, change_id: change.id })).message).toBe(
        "kept",
      );
    } finally {
      await second.mesa.stop();
    }
  });

  it("removes an unset (temporary) data dir on stop", async () => {
    const h = await startHarness();
    await h.mesa.stop();
    await expect(stat(h.mesa.dataDir)).rejects.toMatchObject({ code: "ENOENT" });
  });
});
