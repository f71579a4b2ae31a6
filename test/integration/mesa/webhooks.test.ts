import { spawnSync } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { WebhookEvent } from "@mesadev/sdk" with { "resolution-mode": "import" };
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  MAX_DELIVERY_ATTEMPTS,
  retryDelayMs,
  VIRTUAL_ROOT_CHANGE_ID,
  type DeliveryScheduler,
} from "../../../local/mesa";
import { ErrorCodes } from "../../../local/mesa/errors";
import { eventually } from "../../helpers/eventually";
import { AUTHOR, apiError, b64, startHarness, uniqueName, type Harness } from "./harness";

/** Retries run only when the test fires them: no test waits for a backoff. */
class ManualScheduler implements DeliveryScheduler {
  pending: { ms: number; fn: () => void }[] = [];
  after(ms: number, fn: () => void) {
    const entry = { ms, fn };
    this.pending.push(entry);
    return { cancel: () => void (this.pending = this.pending.filter((e) => e !== entry)) };
  }
  /** Runs every due-by-now retry; returns their delays. */
  fire(): number[] {
    const due = this.pending;
    this.pending = [];
    for (const e of due) e.fn();
    return due.map((e) => e.ms);
  }
}

/** A loopback webhook receiver that answers the statuses it is told to, then 200. */
class Receiver {
  readonly requests: { headers: Record<string, string>; body: string }[] = [];
  statuses: number[] = [];
  private server!: Server;
  url = "";

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        this.requests.push({
          headers: req.headers as Record<string, string>,
          body: Buffer.concat(chunks).toString("utf8"),
        });
        res.writeHead(this.statuses.shift() ?? 200).end();
      });
    });
    await new Promise<void>((ok) => this.server.listen(0, "127.0.0.1", ok));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks`;
    return this;
  }

  close(): Promise<void> {
    return new Promise((ok) => this.server.close(() => ok()));
  }

  /** Verifies and parses every request received so far with the SDK's own `webhooks.receive`. */
  async events(secret: string, h: Harness): Promise<WebhookEvent[]> {
    const { Mesa } = await import("@mesadev/sdk");
    const verifier = new Mesa({
      apiKey: h.mesa.apiKey,
      apiUrl: h.mesa.url,
      org: h.mesa.org,
      webhookSecret: secret,
    });
    const events: WebhookEvent[] = [];
    verifier.webhooks.on([...ALL_EVENTS], (e) => void events.push(e));
    for (const r of this.requests)
      await verifier.webhooks.receive(
        new Request(this.url, { method: "POST", headers: r.headers, body: r.body }),
      );
    // A retried delivery is the same event (same id) again.
    return [...new Map(events.map((e) => [e.id, e])).values()];
  }
}

const ALL_EVENTS = [
  "repo.created",
  "repo.updated",
  "repo.deleted",
  "bookmark.created",
  "bookmark.deleted",
  "bookmark.moved",
  "bookmark.merged",
  "change.created",
  "change.evolved",
  "push",
  "sync.queued",
  "sync.in_progress",
  "sync.completed",
  "sync.failed",
] as const;

let h: Harness;
let scheduler: ManualScheduler;
const receivers: Receiver[] = [];
const newReceiver = async () => {
  const r = await new Receiver().start();
  receivers.push(r);
  return r;
};
beforeAll(async () => {
  scheduler = new ManualScheduler();
  h = await startHarness({ webhookScheduler: scheduler });
});
afterAll(async () => {
  await h.mesa.stop();
  await Promise.all(receivers.map((r) => r.close()));
});
afterEach(async () => {
  for (const t of (await h.client.webhookTargets.list()).webhook_targets)
    await h.client.webhookTargets.delete({ webhookTargetId: t.id });
  scheduler.pending = [];
});

describe("webhook targets", () => {
  it("create answers the secret once; list, get and update never do; delete removes", async () => {
    const receiver = await newReceiver();
    const created = await h.client.webhookTargets.create({ url: receiver.url, name: "hooks" });
    expect(created).toMatchObject({
      name: "hooks",
      url: receiver.url,
      events: ["push"],
      repo_ids: null,
      secret: expect.stringMatching(/^whsec_/),
    });
    const holders = spawnSync("grep", ["-rlF", "--", created.secret, h.mesa.dataDir], {
      encoding: "utf8",
    });
    expect(holders.status, holders.stderr).not.toBe(2);
    expect(holders.stdout, "the secret is sealed at rest: in no file of the data dir").toBe("");
    const listed = (await h.client.webhookTargets.list()).webhook_targets;
    expect(listed).toEqual([
      {
        id: created.id,
        name: "hooks",
        url: receiver.url,
        events: ["push"],
        repo_ids: null,
        created_at: created.created_at,
        updated_at: created.updated_at,
      },
    ]);
    const raw = await fetch(`${h.mesa.url}/local/webhook-targets/${created.id}`, {
      headers: { authorization: `Bearer ${h.mesa.apiKey}` },
    });
    expect(await raw.json()).toEqual(listed[0]);
    const repo = await h.client.repos.create({ name: uniqueName() });
    const updated = await h.client.webhookTargets.update({
      webhookTargetId: created.id,
      name: null,
      events: ["repo.deleted", "change.created"],
      repo_ids: [repo.id],
    });
    expect(updated).toMatchObject({
      name: null,
      events: ["repo.deleted", "change.created"],
      repo_ids: [repo.id],
    });
    expect(updated).not.toHaveProperty("secret");
    expect(await h.client.webhookTargets.delete({ webhookTargetId: created.id })).toEqual({
      success: true,
    });
    expect(
      (await apiError(h.client.webhookTargets.update({ webhookTargetId: created.id, name: "x" })))
        .status,
    ).toBe(404);
  });

  it("refuses receivers off loopback, unknown events and unknown repos with 400 naming the field", async () => {
    for (const url of [
      "https://hooks.example.com/x",
      "http://10.0.0.1/x",
      "http://0.0.0.0:1/x",
      "ftp://127.0.0.1/x",
      "not a url",
    ]) {
      const err = await apiError(h.client.webhookTargets.create({ url }));
      expect(err.status, url).toBe(400);
      expect(err.code).toBe(ErrorCodes.badRequest);
      expect(err.message, url).toMatch(/`url`/);
    }
    expect(
      (
        await apiError(
          h.client.webhookTargets.create({
            url: "http://localhost:1/x",
            events: ["repo.renamed" as never],
          }),
        )
      ).message,
    ).toMatch(/`events`/);
    expect(
      (
        await apiError(
          h.client.webhookTargets.create({ url: "http://[::1]:1/x", repo_ids: ["repo_nope"] }),
        )
      ).message,
    ).toMatch(/`repo_ids`/);
  });
});

describe("webhook deliveries", () => {
  it("deliver every documented event, signed with the target's secret and valid for the SDK's schemas", async () => {
    const receiver = await newReceiver();
    const target = await h.client.webhookTargets.create({
      url: receiver.url,
      events: [...ALL_EVENTS],
    });
    const repo = uniqueName();
    const created = await h.client.repos.create({
      name: repo,
      upstream: { url: "https://example.com/up.git" },
    });
    await h.client.repos.update({ repo, tags: { team: "hooks" } });
    const first = await h.client.changes.create({
      repo,
      base_change_id: VIRTUAL_ROOT_CHANGE_ID,
      message: "one",
      author: AUTHOR,
      files: [{ path: "a.txt", content: b64("a") }],
    });
    await h.client.bookmarks.move({ repo, bookmark: "main", change_id: first.id });
    await h.client.bookmarks.create({ repo, name: "feature", change_id: first.id });
    const second = await h.client.changes.create({
      repo,
      base_change_id: first.id,
      message: "two",
      author: AUTHOR,
      files: [{ path: "b.txt", content: b64("b") }],
    });
    await h.client.bookmarks.move({ repo, bookmark: "feature", change_id: second.id });
    await h.client.changes.patch({ repo, change_id: second.id, message: "two, amended" });
    const third = await h.client.changes.create({
      repo,
      base_change_id: first.id,
      message: "three",
      author: AUTHOR,
      files: [{ path: "c.txt", content: b64("c") }],
    });
    await h.client.bookmarks.move({ repo, bookmark: "main", change_id: third.id });
    await h.client.bookmarks.merge({
      repo,
      target: "main",
      source: "feature",
      delete_source: true,
    });
    await h.client.repos.syncUpstream({ repo, direction: "pull" });
    await h.client.repos.delete({ repo });

    const events = await eventually("every event delivered", async () => {
      const all = await receiver.events(target.secret, h);
      return all.some((e) => e.type === "repo.deleted") ? all : undefined;
    });
    const types = new Set(events.map((e) => e.type));
    expect(
      [...types].sort(),
      "push needs git-receive-pack and sync.completed a reachable upstream (DIVERGENCES.md)",
    ).toEqual(ALL_EVENTS.filter((t) => t !== "push" && t !== "sync.completed").sort());
    for (const e of events) {
      expect(e.organization.slug).toBe("local");
      expect(e.repository).toMatchObject({
        id: created.id,
        name: repo,
        url: `${h.mesa.url}/local/${repo}`,
      });
    }
    const of = <T extends WebhookEvent["type"]>(type: T) =>
      events.filter((e): e is Extract<WebhookEvent, { type: T }> => e.type === type);
    expect(of("repo.updated")[0].data).toMatchObject({
      before: { tags: {} },
      after: { tags: { team: "hooks" } },
    });
    expect(of("change.evolved")[0].data).toMatchObject({
      change: { id: second.id, message: "two, amended" },
      previous_current_commit_oid: second.current_commit_oid,
    });
    expect(of("bookmark.merged")[0].data.bookmark).toMatchObject({
      name: "main",
      is_default: true,
    });
    expect(of("bookmark.deleted").map((e) => e.data.bookmark.name)).toEqual(["feature"]);
    expect(of("sync.failed")[0].data.sync).toMatchObject({
      status: "failed",
      ref_globs: { branches: "*", tags: "*" },
    });
    expect(
      of("bookmark.created").map((e) => e.data.bookmark.name),
      "the default bookmark with the repo, then feature",
    ).toEqual(["main", "feature"]);

    const tampered = receiver.requests[0];
    const { Mesa, MesaWebhookVerificationError } = await import("@mesadev/sdk");
    const verifier = new Mesa({
      apiKey: h.mesa.apiKey,
      apiUrl: h.mesa.url,
      org: h.mesa.org,
      webhookSecret: target.secret,
    });
    await expect(
      verifier.webhooks.receive(
        new Request(receiver.url, {
          method: "POST",
          headers: tampered.headers,
          body: tampered.body.replace("local", "other"),
        }),
      ),
      "a changed body fails verification",
    ).rejects.toBeInstanceOf(MesaWebhookVerificationError);
  });

  it("deliver only what a target subscribes to, for its repos", async () => {
    const [a, b] = [uniqueName(), uniqueName()];
    const repoA = await h.client.repos.create({ name: a });
    const receiver = await newReceiver();
    await h.client.webhookTargets.create({
      url: receiver.url,
      events: ["change.created"],
      repo_ids: [repoA.id],
    });
    await h.client.repos.create({ name: b });
    await h.client.changes.create({
      repo: b,
      base_change_id: VIRTUAL_ROOT_CHANGE_ID,
      message: "b",
    });
    const mine = await h.client.changes.create({
      repo: a,
      base_change_id: VIRTUAL_ROOT_CHANGE_ID,
      message: "a",
    });
    await h.client.repos.update({ repo: a, tags: { x: "1" } });
    await eventually("the change of repo a", async () =>
      receiver.requests.length > 0 ? true : undefined,
    );
    await h.client.changes.create({ repo: a, base_change_id: mine.id, message: "a2" });
    await eventually("the second change of repo a", async () =>
      receiver.requests.length > 1 ? true : undefined,
    );
    expect(receiver.requests.map((r) => JSON.parse(r.body).data.change.message)).toEqual([
      "a",
      "a2",
    ]);
  });

  it("retry failed attempts with exponential backoff, the same signed event each time, and give up after the last attempt", async () => {
    const receiver = await newReceiver();
    receiver.statuses = [503, 500];
    const target = await h.client.webhookTargets.create({
      url: receiver.url,
      events: ["repo.created"],
    });
    await h.client.repos.create({ name: uniqueName() });
    await eventually("the first attempt", async () =>
      scheduler.pending.length === 1 ? true : undefined,
    );
    expect(scheduler.fire()).toEqual([retryDelayMs(1)]);
    await eventually("the second attempt", async () =>
      scheduler.pending.length === 1 ? true : undefined,
    );
    expect(scheduler.fire()).toEqual([retryDelayMs(2)]);
    await eventually("the third attempt", async () =>
      receiver.requests.length === 3 ? true : undefined,
    );
    expect(scheduler.pending, "delivered: nothing left to retry").toEqual([]);
    expect(new Set(receiver.requests.map((r) => r.body)).size, "one event, sent three times").toBe(
      1,
    );
    expect((await receiver.events(target.secret, h)).map((e) => e.type)).toEqual(["repo.created"]);
    expect([retryDelayMs(1), retryDelayMs(2), retryDelayMs(3)]).toEqual([1000, 2000, 4000]);

    const failing = await newReceiver();
    failing.statuses = Array(MAX_DELIVERY_ATTEMPTS + 1).fill(500);
    await h.client.webhookTargets.update({ webhookTargetId: target.id, url: failing.url });
    await h.client.repos.create({ name: uniqueName() });
    for (let attempt = 1; attempt < MAX_DELIVERY_ATTEMPTS; attempt++) {
      await eventually(`attempt ${attempt}`, async () =>
        scheduler.pending.length === 1 ? true : undefined,
      );
      expect(scheduler.fire()).toEqual([retryDelayMs(attempt)]);
    }
    await eventually("the last attempt", async () =>
      failing.requests.length === MAX_DELIVERY_ATTEMPTS ? true : undefined,
    );
    expect(scheduler.pending, "no retry after the last attempt").toEqual([]);
  });
});

describe("webhook persistence", () => {
  it("keeps targets and resumes pending deliveries across stop → start", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "mesa-webhooks-"));
    try {
      const receiver = await newReceiver();
      receiver.statuses = [500];
      const firstScheduler = new ManualScheduler();
      const first = await startHarness({ dataDir, webhookScheduler: firstScheduler });
      const target = await first.client.webhookTargets.create({
        url: receiver.url,
        events: ["repo.created"],
        name: "kept",
      });
      await first.client.repos.create({ name: "persisted" });
      await eventually("the failed first attempt", async () =>
        firstScheduler.pending.length === 1 ? true : undefined,
      );
      await first.mesa.stop();

      const secondScheduler = new ManualScheduler();
      const second = await startHarness({ dataDir, webhookScheduler: secondScheduler });
      try {
        const { secret, ...visible } = target;
        expect((await second.client.webhookTargets.list()).webhook_targets).toEqual([visible]);
        expect(secondScheduler.pending.length, "the pending delivery is scheduled again").toBe(1);
        secondScheduler.fire();
        await eventually("the resumed delivery", async () =>
          receiver.requests.length === 2 ? true : undefined,
        );
        expect((await receiver.events(secret, second)).map((e) => e.data)).toMatchObject([
          { repo: { name: "persisted" } },
        ]);
      } finally {
        await second.mesa.stop();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
