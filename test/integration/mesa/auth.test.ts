import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemClock } from "../../../local/shared/clock";
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
let clock = Date.now();
beforeAll(async () => {
  h = await startHarness({ clock: { ...systemClock, now: () => clock } });
});
afterAll(() => h.mesa.stop());

describe("access tokens signed by the SDK", () => {
  it("work for the CLI's endpoints within their scopes and repo", async () => {
    const repo = uniqueName();
    const created = await h.client.repos.create({ name: repo });
    const { token } = await h.client.tokens.create({
      scopes: ["read", "write"],
      repos: [`local/${repo}`],
    });
    const t = h.clientFor(token);
    expect(
      (await t.repos.list()).repos.map((r) => r.name),
      "listing is clamped to the token's repos",
    ).toEqual([repo]);
    expect((await t.repos.get({ repo })).id).toBe(created.id);
    const change = await t.changes.create({
      repo,
      base_change_id: created.head_change_id,
      message: "m",
      author: AUTHOR,
      files: [{ path: "a.txt", content: b64("a") }],
    });
    await t.bookmarks.move({ repo, bookmark: "main", change_id: change.id });
    await t.bookmarks.create({ repo, name: "work", change_id: change.id });
    expect(fileContent(await t.content.get({ repo, path: "a.txt" }))).toBe(b64("a"));
  });

  it("cannot reach another repo (404, as if it did not exist)", async () => {
    const a = uniqueName("a");
    const b = uniqueName("b");
    await h.client.repos.create({ name: a });
    await h.client.repos.create({ name: b });
    const { token } = await h.client.tokens.create({ scopes: ["read"], repos: [`local/${a}`] });
    const err = await apiError(h.clientFor(token).repos.get({ repo: b }));
    expect(err.status).toBe(404);
    expect(err.message).toContain(b);
  });

  it("answers 403 outside the token's scopes", async () => {
    const repo = uniqueName();
    await h.client.repos.create({ name: repo });
    const { token } = await h.client.tokens.create({ scopes: ["read"], repos: [`local/${repo}`] });
    const err = await apiError(
      h.clientFor(token).bookmarks.create({ repo, name: "x", change_id: "z".repeat(32) }),
    );
    expect(err.status).toBe(403);
    expect(err.message).toMatch(/write/);
    expect(
      (await apiError(h.clientFor(token).apiKeys.list())).status,
      "admin is not granted by read",
    ).toBe(403);
  });

  it("clamps token scopes to the signing key's scopes", async () => {
    const key = await h.client.apiKeys.create({ name: uniqueName("k"), scopes: ["read"] });
    const { Mesa } = await import("@mesadev/sdk");
    const signer = new Mesa({ apiKey: key.key, apiUrl: h.mesa.url, org: h.mesa.org });
    const { token } = await signer.tokens.create({ scopes: ["read", "write"] });
    expect((await h.clientFor(token).whoami()).scopes).toEqual(["read"]);
    expect((await apiError(h.clientFor(token).repos.create({ name: uniqueName() }))).status).toBe(
      403,
    );
  });

  it("answers 401 once expired (server clock moved past exp)", async () => {
    const { token } = await h.client.tokens.create({ ttl_seconds: 60 });
    await h.clientFor(token).whoami();
    clock += 120_000;
    try {
      const err = await apiError(h.clientFor(token).repos.list());
      expect(err.status).toBe(401);
      expect(err.message).toMatch(/expired/);
    } finally {
      clock -= 120_000;
    }
  });

  it("answers 401 for a tampered signature, a bad key and a revoked signing key", async () => {
    const { token } = await h.client.tokens.create({});
    const tampered = token.slice(0, -2) + (token.endsWith("AA") ? "BB" : "AA");
    expect((await apiError(h.clientFor(tampered).repos.list())).status).toBe(401);
    expect((await apiError(h.clientFor("mesa_not-a-key").repos.list())).status).toBe(401);
    const key = await h.client.apiKeys.create({ name: uniqueName("k"), scopes: ["read"] });
    const { Mesa } = await import("@mesadev/sdk");
    const signed = await new Mesa({
      apiKey: key.key,
      apiUrl: h.mesa.url,
      org: h.mesa.org,
    }).tokens.create({ scopes: ["read"] });
    await h.client.apiKeys.revoke({ id: key.id });
    expect((await apiError(h.clientFor(signed.token).repos.list())).status).toBe(401);
  });
});
