import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VIRTUAL_ROOT_CHANGE_ID } from "../../../local/mesa";
import { mesaErrors } from "../../../local/mesa/errors";
import { apiError, startHarness, uniqueName, type Harness } from "./harness";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.mesa.stop());

describe("identity and org", () => {
  it("whoami returns the org and the admin key id", async () => {
    const me = await h.client.whoami();
    expect(me.org.slug).toBe("local");
    expect(me.key_id).toMatch(/^key_/);
    expect(me.scopes).toEqual(["read", "write", "admin"]);
  });

  it("org.get counts repos", async () => {
    const before = (await h.client.org.get()).num_repos;
    await h.client.repos.create({ name: uniqueName() });
    expect((await h.client.org.get()).num_repos).toBe(before + 1);
  });
});

describe("repos", () => {
  it("creates a repo at the virtual root and reads it back", async () => {
    const name = uniqueName();
    const created = await h.client.repos.create({ name, tags: { env: "dev" } });
    expect(created).toMatchObject({
      name,
      org: "local",
      default_bookmark: "main",
      head_change_id: VIRTUAL_ROOT_CHANGE_ID,
      upstream: null,
      tags: { env: "dev" },
    });
    expect(await h.client.repos.get({ repo: name })).toEqual(created);
  });

  it("answers 409 for a duplicate name and 404 for an unknown repo", async () => {
    const name = uniqueName();
    await h.client.repos.create({ name });
    expect((await apiError(h.client.repos.create({ name }))).status).toBe(409);
    const missing = await apiError(h.client.repos.get({ repo: uniqueName("missing") }));
    expect(missing.status).toBe(404);
    expect(missing.code).toBe(mesaErrors.notFound("x").code);
  });

  it("updates: rename, tag patch (null removes), upstream set and clear", async () => {
    const name = uniqueName();
    await h.client.repos.create({ name, tags: { a: "1", b: "2" } });
    const renamed = uniqueName("renamed");
    const updated = await h.client.repos.update({
      repo: name,
      name: renamed,
      tags: { a: null, c: "3" },
      upstream: { url: "https://example.com/x.git", auth: { kind: "token", token: "secret" } },
    });
    expect(updated).toMatchObject({
      name: renamed,
      tags: { b: "2", c: "3" },
      upstream: { url: "https://example.com/x.git", auth_kind: "token", latest_sync: null },
    });
    expect((await apiError(h.client.repos.get({ repo: name }))).status).toBe(404);
    expect((await h.client.repos.update({ repo: renamed, upstream: null })).upstream).toBeNull();
  });

  it("lists with limit, cursor and tag filter", async () => {
    const tag = uniqueName("t");
    const names = [uniqueName(), uniqueName(), uniqueName()];
    for (const name of names) await h.client.repos.create({ name, tags: { suite: tag } });
    const first = await h.client.repos.list({ limit: 2, tags: `suite:${tag}` });
    expect(first.repos.map((r) => r.name)).toEqual(names.slice(0, 2));
    expect(first.has_more).toBe(true);
    const second = await h.client.repos.list({
      limit: 2,
      tags: `suite:${tag}`,
      cursor: first.next_cursor!,
    });
    expect(second.repos.map((r) => r.name)).toEqual(names.slice(2));
    expect(second).toMatchObject({ has_more: false, next_cursor: null });
    expect((await apiError(h.client.repos.list({ limit: 101 }))).status).toBe(400);
  });

  it("deletes a repo", async () => {
    const name = uniqueName();
    await h.client.repos.create({ name });
    expect(await h.client.repos.delete({ repo: name })).toEqual({ success: true });
    expect((await apiError(h.client.repos.get({ repo: name }))).status).toBe(404);
  });

  it("records upstream syncs and finishes them as failed with a clear message", async () => {
    const name = uniqueName();
    await h.client.repos.create({ name, upstream: { url: "https://example.com/u.git" } });
    const sync = await h.client.repos.syncUpstream({
      repo: name,
      direction: "pull",
      ref_globs: { branches: "*" },
    });
    expect(sync).toMatchObject({ direction: "pull", status: "failed" });
    expect(sync.error).toMatch(/not available in the local Mesa backend/);
    expect(await h.client.repos.getUpstreamSync({ repo: name, syncId: sync.id })).toEqual(sync);
    expect((await h.client.repos.listUpstreamSyncs({ repo: name })).syncs.map((s) => s.id)).toEqual(
      [sync.id],
    );
    expect((await h.client.repos.get({ repo: name })).upstream?.latest_sync?.id).toBe(sync.id);
  });
});

describe("api keys", () => {
  it("creates (raw key once), lists without secrets, and revokes", async () => {
    const created = await h.client.apiKeys.create({ name: uniqueName("k"), scopes: ["read"] });
    expect(created.key).toMatch(/^mesa_/);
    const listed = (await h.client.apiKeys.list()).api_keys.find((k) => k.id === created.id);
    expect(listed).toMatchObject({ scopes: ["read"], revoked_at: null });
    expect(JSON.stringify(listed)).not.toContain(created.key);
    const reader = h.clientFor(created.key);
    await reader.repos.list();
    expect(await h.client.apiKeys.revoke({ id: created.id })).toEqual({ success: true });
    expect((await apiError(reader.repos.list())).status).toBe(401);
  });
});
