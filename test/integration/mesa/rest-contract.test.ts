import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCodes } from "../../../local/mesa/errors";
import { apiError, startHarness, uniqueName, type Harness } from "./harness";

/** The REST contract beyond what the SDK reads: strict input, 405s, and the REST-only operations. */

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.mesa.stop());

/** A raw REST call with the admin key; returns status, headers and the parsed body. */
async function rest(method: string, path: string, body?: unknown) {
  const res = await fetch(`${h.mesa.url}/${path}`, {
    method,
    headers: {
      authorization: `Bearer ${h.mesa.apiKey}`,
      ...(body !== undefined && { "content-type": "application/json" }),
    },
    ...(body !== undefined && { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  return {
    status: res.status,
    allow: res.headers.get("allow"),
    body: (await res.json()) as Record<string, any>,
  };
}

describe("strict input answers 400 BAD_REQUEST naming the field", () => {
  it("a POST or PATCH without a body", async () => {
    const repo = uniqueName();
    await h.client.repos.create({ name: repo });
    for (const [method, path] of [
      ["POST", "local/repos"],
      ["POST", "local/api-keys"],
      ["PATCH", `local/${repo}`],
      ["POST", `local/${repo}/changes`],
    ]) {
      const res = await rest(method, path);
      expect(res.status, `${method} ${path}`).toBe(400);
      expect(res.body.error).toMatchObject({
        code: ErrorCodes.badRequest,
        message: expect.stringContaining("body is required"),
      });
    }
    expect((await rest("POST", "local/repos", "null")).status, "a JSON null body").toBe(400);
  });

  it("query values outside the declared enums", async () => {
    for (const query of ["status=AAA", "scope=owner", "limit=0", "query="]) {
      const res = await rest("GET", `local/api-keys?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.error.details.field).toBe(query.split("=")[0]);
    }
  });

  it("content metadata filters whose values are not strings", async () => {
    const repo = uniqueName();
    await h.client.repos.create({ name: repo });
    for (const query of ["metadata[a][0]=x", "lang[0]=en"]) {
      const res = await rest("GET", `local/${repo}/content?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.error.details.field).toBe("metadata");
    }
    expect(
      (await rest("GET", `local/${repo}/content?metadata[lang]=en`)).body.entries,
      "a string filter matches no entry",
    ).toEqual([]);
  });

  it("createApiKey and createRepo bodies of the wrong types", async () => {
    for (const body of [
      { scopes: null },
      { repo_ids: null },
      { tags: null },
      { expires_in_seconds: "100" },
      { name: 5 },
    ]) {
      const err = await apiError(h.client.apiKeys.create(body as never));
      expect(err.status, JSON.stringify(body)).toBe(400);
      expect(err.code).toBe(ErrorCodes.badRequest);
    }
    for (const body of [
      { name: null },
      { upstream: null },
      { upstream: { url: 5 } },
      {
        upstream: {
          url: "https://example.com/x.git",
          auth: { kind: "token", token: "t", token_username: 1 },
        },
      },
      { tags: [] },
    ]) {
      const err = await apiError(h.client.repos.create(body as never));
      expect(err.status, JSON.stringify(body)).toBe(400);
      expect(err.code).toBe(ErrorCodes.badRequest);
    }
  });
});

describe("405 answers carry Allow with exactly the path's methods", () => {
  it.each([
    ["local/repos", "DELETE", "GET, POST"],
    ["local/repos/tags", "GET", "PATCH"],
    ["local/api-keys", "PATCH", "GET, POST"],
    ["local/some-repo", "POST", "GET, PATCH, DELETE"],
    ["local/some-repo/bookmarks/merge", "GET", "POST"],
    ["local/webhook-targets", "PUT", "GET, POST"],
  ])("%s %s", async (path, method, allow) => {
    const res = await rest(method, path);
    expect(res.status).toBe(405);
    expect(res.allow).toBe(allow);
    expect(res.body.error.code).toBe(ErrorCodes.methodNotAllowed);
  });
});

describe("upstream syncs", () => {
  it("always answer both ref globs, in the sync and in the repo's latest_sync", async () => {
    const repo = uniqueName();
    await h.client.repos.create({ name: repo, upstream: { url: "https://example.com/u.git" } });
    const all = await h.client.repos.syncUpstream({ repo, direction: "pull" });
    expect(all.ref_globs).toEqual({ branches: "*", tags: "*" });
    const branches = await h.client.repos.syncUpstream({
      repo,
      direction: "push",
      ref_globs: { branches: "release/*" },
    });
    expect(branches.ref_globs, "an omitted glob matches nothing").toEqual({
      branches: "release/*",
      tags: "",
    });
    expect((await h.client.repos.get({ repo })).upstream?.latest_sync?.ref_globs).toEqual({
      branches: "release/*",
      tags: "",
    });
    expect(
      (
        await apiError(
          h.client.repos.syncUpstream({ repo, direction: "pull", ref_globs: {} as never }),
        )
      ).status,
    ).toBe(400);
  });
});

describe("REST-only operations", () => {
  it("PATCH /{org}/api-keys/{id} merges a tag patch", async () => {
    const key = await h.client.apiKeys.create({
      name: "tagged",
      scopes: ["read"],
      tags: { a: "1", b: "2" },
    });
    const res = await rest("PATCH", `local/api-keys/${key.id}`, { tags: { a: null, c: "3" } });
    expect(res).toMatchObject({ status: 200, body: { tags: { b: "2", c: "3" } } });
    expect((await h.client.apiKeys.list()).api_keys.find((k) => k.id === key.id)?.tags).toEqual({
      b: "2",
      c: "3",
    });
    expect((await rest("PATCH", `local/api-keys/${key.id}`, {})).status, "tags is required").toBe(
      400,
    );
    expect((await rest("PATCH", "local/api-keys/key_missing", { tags: {} })).status).toBe(404);
  });

  it("GET /{org}/api-keys filters by status, scope, repo and name", async () => {
    const name = uniqueName("filter");
    const revoked = await h.client.apiKeys.create({ name, scopes: ["write"] });
    await h.client.apiKeys.revoke({ id: revoked.id });
    const active = await h.client.apiKeys.create({ name: `${name}-b`, scopes: ["read"] });
    const ids = async (query: string) =>
      (
        (await rest("GET", `local/api-keys?query=${name}&${query}`)).body.api_keys as {
          id: string;
        }[]
      ).map((k) => k.id);
    expect(await ids("status=all")).toEqual([revoked.id, active.id]);
    expect(await ids("status=revoked")).toEqual([revoked.id]);
    expect(await ids("status=active&scope=read")).toEqual([active.id]);
    const page = await rest("GET", `local/api-keys?query=${name}&limit=1`);
    expect(page.body).toMatchObject({ has_more: true, api_keys: [{ id: revoked.id }] });
    expect(
      (await rest("GET", `local/api-keys?query=${name}&limit=1&cursor=${page.body.next_cursor}`))
        .body.api_keys[0].id,
    ).toBe(active.id);
  });

  it("PATCH /{org}/repos/tags sets and removes one tag across repos, idempotently", async () => {
    const names = [uniqueName(), uniqueName()];
    const repos = await Promise.all(
      names.map((name) => h.client.repos.create({ name, tags: { keep: "x" } })),
    );
    const repo_ids = repos.map((r) => r.id);
    expect(
      (
        await rest("PATCH", "local/repos/tags", {
          repo_ids,
          action: "set",
          key: "team",
          value: "a",
        })
      ).body,
    ).toEqual({ updated: 2 });
    expect(
      (
        await rest("PATCH", "local/repos/tags", {
          repo_ids,
          action: "set",
          key: "team",
          value: "a",
        })
      ).body,
      "idempotent",
    ).toEqual({ updated: 0 });
    expect((await h.client.repos.get({ repo: names[1] })).tags).toEqual({ keep: "x", team: "a" });
    expect(
      (await rest("PATCH", "local/repos/tags", { repo_ids, action: "remove", key: "team" })).body,
    ).toEqual({ updated: 2 });
    expect((await h.client.repos.get({ repo: names[0] })).tags).toEqual({ keep: "x" });
    expect(
      (await rest("PATCH", "local/repos/tags", { repo_ids, action: "set", key: "team" })).status,
      "set needs a value",
    ).toBe(400);
    expect(
      (
        await rest("PATCH", "local/repos/tags", {
          repo_ids: ["repo_missing"],
          action: "remove",
          key: "team",
        })
      ).status,
    ).toBe(400);
  });
});
