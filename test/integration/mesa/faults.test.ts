import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { apiError, startHarness, uniqueName, type Harness } from "./harness";

let h: Harness;
const slept: number[] = [];
beforeAll(async () => {
  h = await startHarness({ sleep: async (ms) => void slept.push(ms) });
});
afterAll(() => h.mesa.stop());
afterEach(() =>
  fetch(`${h.mesa.origin}/_local/faults`, {
    method: "DELETE",
    headers: { authorization: `Bearer ${h.mesa.apiKey}` },
  }),
);

async function inject(spec: Record<string, unknown>, key = h.mesa.apiKey) {
  return fetch(`${h.mesa.origin}/_local/faults`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(spec),
  });
}

describe("fault injection through POST /_local/faults", () => {
  it("fails the next N matching requests with 429 + Retry-After, then recovers", async () => {
    const repo = uniqueName();
    await h.client.repos.create({ name: repo });
    const res = await inject({
      method: "GET",
      path: `/${repo}$`,
      count: 2,
      status: 429,
      retryAfterSeconds: 7,
    });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ id: expect.any(String) });
    for (let i = 0; i < 2; i++) {
      const err = await apiError(h.client.repos.get({ repo }));
      expect(err.status).toBe(429);
      expect(err.code).toBe("RATE_LIMITED");
      expect(err.headers?.get("retry-after")).toBe("7");
    }
    expect((await h.client.repos.get({ repo })).name, "the third request succeeds").toBe(repo);
  });

  it("answers 503 in the Mesa envelope with a trace_id", async () => {
    await inject({ count: 1, status: 503, path: "/repos$" });
    const err = await apiError(h.client.repos.list());
    expect(err.status).toBe(503);
    expect((err.body as { error: { trace_id?: string } }).error.trace_id).toBeTruthy();
  });

  it("adds latency through the injected sleep and drops connections", async () => {
    await inject({ count: 1, latencyMs: 250, path: "/whoami$" });
    await h.client.whoami();
    expect(slept).toContain(250);
    await inject({ count: 1, drop: true, path: "/repos$" });
    await expect(h.client.repos.list()).rejects.toThrow();
    await h.client.repos.list();
  });

  it("refuses a non-admin credential and a bad spec", async () => {
    expect((await inject({ count: 1, status: 500 }, "mesa_nope")).status).toBe(401);
    const bad = await inject({ count: 0, status: 500 });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain("count");
  });
});
