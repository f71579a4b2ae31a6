import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Mesa } from "@mesadev/sdk" with { "resolution-mode": "import" };
import { startLocalMesa, type LocalMesa } from "../../../local/mesa";
import type { LogSink } from "../../../provider/engine-log";
import { systemClock } from "../../../provider/retry";
import { createProvider } from "../../../provider/mesa-repo/provider";
import { credentialVariables } from "../../helpers/credentials";
import { commitOnBookmark } from "../../helpers/mesa-repos";
import { uniqueName } from "../../helpers/names";

let mesa: LocalMesa;
let client: Mesa;
const logs: string[] = [];
const sink: LogSink = { send: (_s, m) => void logs.push(m) };

beforeAll(async () => {
  mesa = await startLocalMesa({ port: 0 });
  const { Mesa: MesaClient } = await import("@mesadev/sdk");
  client = new MesaClient({ apiKey: mesa.apiKey, apiUrl: mesa.url, org: mesa.org });
});
afterAll(async () => mesa?.stop());

function provider() {
  return createProvider(undefined, {
    env: credentialVariables({ mesa }),
    cwd: "/nonexistent",
    clock: systemClock,
    logSink: sink,
    suffix: () => randomUUID().slice(0, 7),
  });
}

const urnFor = (name: string) =>
  `urn:pulumi:it::proj::pulumi-nodejs:dynamic/superserve-mesa:MesaRepo::${name}`;

async function inject(fault: object) {
  const res = await fetch(`${mesa.origin}/_local/faults`, {
    method: "POST",
    headers: { Authorization: `Bearer ${mesa.apiKey}`, "Content-Type": "application/json" },
    body: JSON.stringify(fault),
  });
  expect(res.ok, `fault injection accepted: ${res.status}`).toBe(true);
}

async function checked(news: Record<string, unknown>) {
  const r = await provider().check({}, news);
  expect(r.failures).toEqual([]);
  return r.inputs as Record<string, unknown> & { name: string };
}

describe("MesaRepo provider against local Mesa", () => {
  it("creates with the URN tag and the org from whoami, reads, updates in place, deletes", async () => {
    const urn = urnFor(uniqueName("crud"));
    const inputs = await checked({ pulumiUrn: urn, tags: { team: "a" } });
    const p = provider();
    const { id, outs } = await p.create(inputs);
    expect(outs).toMatchObject({
      org: mesa.org,
      name: inputs.name,
      defaultBookmark: "main",
      tags: { team: "a" },
    });
    const live = await client.repos.get({ repo: inputs.name });
    expect(live.tags, "the created repo carries the URN").toMatchObject({
      "pulumi-urn": urn,
      team: "a",
    });

    const renamed = { ...inputs, name: `${inputs.name}-r`, tags: { team: "b" }, autonamed: false };
    const updated = (await p.update(id, outs, renamed)).outs;
    expect(updated).toMatchObject({ name: renamed.name, tags: { team: "b" } });
    const after = await client.repos.get({ repo: renamed.name });
    expect(after.id, "a rename keeps the same repo").toBe(id);
    expect(after.tags).toEqual({ "pulumi-urn": urn, team: "b" });

    await p.delete(id, updated);
    await expect(client.repos.get({ repo: renamed.name })).rejects.toMatchObject({ status: 404 });
    await expect(
      p.delete(id, updated),
      "deleting an already-deleted repo succeeds",
    ).resolves.toBeUndefined();
    expect(await p.read(id, updated), "refresh of a deleted repo drops it").toEqual({});
  });

  it("read reports out-of-band edits as drift", async () => {
    const inputs = await checked({ pulumiUrn: urnFor(uniqueName("drift")) });
    const p = provider();
    const { id, outs } = await p.create(inputs);
    const renamed = `${inputs.name}-oob`;
    await client.repos.update({ repo: inputs.name, name: renamed, tags: { extra: "x" } });
    const read = (await p.read(id, outs)) as { props: Record<string, unknown> };
    expect(read.props, "a repo renamed out of band is found by id").toMatchObject({
      name: renamed,
      tags: { extra: "x" },
    });
    const diff = await p.diff(id, read.props, inputs);
    expect(diff.changes, "the next up sees the drift").toBe(true);
    await p.delete(id, read.props);
  });

  it("a retried create adopts the repo an interrupted create left behind", async () => {
    const urn = urnFor(uniqueName("retry"));
    const inputs = await checked({ pulumiUrn: urn });
    const first = await provider().create(inputs);
    const second = await provider().create(inputs);
    expect(second.id, "same repo, no duplicate").toBe(first.id);
    const all = await client.repos.list({ limit: 100 });
    expect(all.repos.filter((r) => r.name === inputs.name)).toHaveLength(1);
    await provider().delete(first.id, first.outs);
  });

  it("refuses to take over a repo it did not create unless adopt is set", async () => {
    const name = uniqueName("foreign");
    await client.repos.create({ name });
    const inputs = await checked({ pulumiUrn: urnFor("foreign"), name });
    await expect(provider().create(inputs)).rejects.toThrow(
      `take it over with adopt: { name: "${name}" }`,
    );
    const adoptInputs = await checked({
      pulumiUrn: urnFor("foreign"),
      adopt: { name },
      tags: { owner: "me" },
    });
    const adopted = await provider().create(adoptInputs);
    expect((await client.repos.get({ repo: name })).tags).toEqual({
      "pulumi-urn": urnFor("foreign"),
      owner: "me",
    });
    await provider().delete(adopted.id, adopted.outs);
  });

  it("retries injected 429 and 5xx faults and still creates exactly one repo", async () => {
    const inputs = await checked({
      pulumiUrn: urnFor(uniqueName("faults")),
      org: mesa.org,
    });
    await inject({ method: "POST", path: "/repos$", count: 1, status: 429, retryAfterSeconds: 1 });
    await inject({ method: "GET", path: `/${inputs.name}$`, count: 2, status: 503 });
    const started = Date.now();
    const { id, outs } = await provider().create(inputs);
    expect(Date.now() - started, "the 429's Retry-After: 1 was honoured").toBeGreaterThanOrEqual(
      900,
    );
    const all = await client.repos.list({ limit: 100 });
    expect(all.repos.filter((r) => r.name === inputs.name)).toHaveLength(1);
    await inject({
      method: "GET",
      path: `/${inputs.name}$`,
      count: 1,
      status: 429,
      retryAfterSeconds: 0,
    });
    expect((await provider().read(id, outs)) as object, "refresh through a 429").toMatchObject({
      id,
    });
    await inject({ method: "PATCH", path: `/${inputs.name}$`, count: 1, drop: true });
    const updated = (await provider().update(id, outs, { ...inputs, tags: { after: "fault" } }))
      .outs;
    expect(
      (await client.repos.get({ repo: inputs.name })).tags,
      "the update went through the dropped connection",
    ).toMatchObject({ after: "fault" });
    await inject({ method: "DELETE", count: 1, status: 500 });
    await provider().delete(id, updated);
    await expect(client.repos.get({ repo: inputs.name })).rejects.toMatchObject({ status: 404 });
  });

  it("check retries the API key's org lookup (GET /whoami) that fills in org", async () => {
    await inject({ method: "GET", path: "/whoami$", count: 1, status: 503 });
    await inject({ method: "GET", path: "/whoami$", count: 1, drop: true });
    const inputs = await checked({ pulumiUrn: urnFor(uniqueName("org")) });
    expect(inputs.org, "the org from whoami, despite the faults").toBe(mesa.org);
    expect(
      logs.filter((l) => l.startsWith("resolve the Mesa org of the API key: transient failure")),
      "two retries",
    ).toHaveLength(2);
  });

  it("a dropped connection during create converges on one repo", async () => {
    const inputs = await checked({
      pulumiUrn: urnFor(uniqueName("drop")),
      org: mesa.org,
    });
    await inject({ method: "POST", path: "/repos$", count: 1, drop: true });
    const { id, outs } = await provider().create(inputs);
    expect(id).toMatch(/\S/);
    await provider().delete(id, outs);
  });

  it("fails at once on a permanent error, naming the fix", async () => {
    const inputs = await checked({
      pulumiUrn: urnFor("missing"),
      adopt: { name: uniqueName("nope") },
    });
    await expect(provider().create(inputs)).rejects.toThrow(
      /adopt: no Mesa repo named "nope-.*" in org "local"/,
    );
  });

  describe("delete with agent work on other bookmarks", () => {
    /** A repo created by the provider whose main holds a file, with bookmarks forked from main. */
    async function repoWithForks(logical: string, forks: string[]) {
      const inputs = await checked({
        pulumiUrn: urnFor(uniqueName(logical)),
        org: mesa.org,
      });
      const created = await provider().create(inputs);
      const repo = inputs.name;
      const root = await client.bookmarks.get({ repo, bookmark: "main" });
      await client.bookmarks.create({ repo, name: "seed", change_id: root.change_id });
      await commitOnBookmark(client, repo, "seed", { "README.md": "seed\n" });
      await client.bookmarks.move({
        repo,
        bookmark: "main",
        change_id: (await client.bookmarks.get({ repo, bookmark: "seed" })).change_id,
      });
      const tip = await client.bookmarks.get({ repo, bookmark: "main" });
      for (const fork of forks)
        await client.bookmarks.create({ repo, name: fork, change_id: tip.change_id });
      return { ...created, inputs, repo };
    }

    it("refuses while forks hold work beyond the default bookmark, naming only those bookmarks", async () => {
      const { id, outs, repo } = await repoWithForks("work", [
        "agents/a",
        "agents/b",
        "agents/idle",
      ]);
      await commitOnBookmark(client, repo, "agents/a", { "a.txt": "agent a\n" });
      await commitOnBookmark(client, repo, "agents/b", { "b.txt": "agent b\n" });
      const refused = provider().delete(id, outs);
      await expect(refused).rejects.toThrow(
        /bookmarks agents\/a, agents\/b hold work that its default bookmark "main" does not have/,
      );
      await expect(provider().delete(id, outs)).rejects.toThrow(
        "set forceDestroy: true on the MesaRepo",
      );
      await expect(
        provider().delete(id, outs),
        "the idle fork and the merged seed bookmark are not named",
      ).rejects.not.toThrow(/agents\/idle|seed/);
      expect((await client.repos.get({ repo })).id, "the repo is still there").toBe(id);
    });

    it("deletes a repo whose other bookmarks hold nothing beyond the default bookmark", async () => {
      const { id, outs, repo } = await repoWithForks("merged", ["agents/idle"]);
      await commitOnBookmark(client, repo, "main", { "later.txt": "main moved on\n" });
      await provider().delete(id, outs);
      await expect(client.repos.get({ repo })).rejects.toMatchObject({ status: 404 });
    });

    it("forceDestroy: true is an update that makes no call, and then the delete goes through", async () => {
      const { id, outs, inputs, repo } = await repoWithForks("forced", ["agents/a"]);
      await commitOnBookmark(client, repo, "agents/a", { "a.txt": "agent a\n" });
      const news = await checked({ ...inputs, forceDestroy: true });
      const diff = await provider().diff(id, outs, news);
      expect(diff, "an in-place update").toMatchObject({ changes: true, replaces: [] });
      // A fault armed for the next request to Mesa, whatever it is: still armed after the update means no request.
      await inject({ count: 1, latencyMs: 1 });
      const updated = (await provider().update(id, outs, news)).outs as Record<string, unknown>;
      const cleared = await fetch(`${mesa.origin}/_local/faults`, {
        method: "DELETE",
        headers: { Authorization: `Bearer ${mesa.apiKey}` },
      });
      expect(
        ((await cleared.json()) as { cleared: number }).cleared,
        "faults still armed: the update sent no request to Mesa",
      ).toBe(1);
      expect(updated).toMatchObject({
        forceDestroy: true,
        name: repo,
        headChangeId: outs.headChangeId,
      });
      await provider().delete(id, updated);
      await expect(client.repos.get({ repo })).rejects.toMatchObject({ status: 404 });
    });
  });
});
