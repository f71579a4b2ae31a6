import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startLocalSuperserve, type LocalSuperserve } from "../../../local/superserve";
import type { FaultSpec } from "../../../local/shared/faults";
import { superserveSdk } from "../../../provider/clients";
import type { LogSink } from "../../../provider/engine-log";
import { systemClock, type RetryClock } from "../../../provider/retry";
import { createProvider } from "../../../provider/superserve-template/provider";
import { credentialVariables } from "../../helpers/credentials";
import { uniqueName } from "../../helpers/names";

let server: LocalSuperserve;
const logs: string[] = [];
/** Every backoff the provider's retry loop waited, in ms (the SDK's own retries are not included). */
const sleeps: number[] = [];
const sink: LogSink = { send: (_s, m) => void logs.push(m) };
const recordingClock: RetryClock = {
  ...systemClock,
  sleep: (ms) => {
    sleeps.push(ms);
    return systemClock.sleep(ms);
  },
};

beforeAll(async () => {
  server = await startLocalSuperserve({ port: 0 });
});
afterAll(async () => server?.stop());
afterEach(async () => {
  logs.length = 0;
  sleeps.length = 0;
  await clearFaults();
});

const provider = () =>
  createProvider(undefined, {
    env: credentialVariables({ superserve: server }),
    cwd: "/nonexistent",
    clock: recordingClock,
    logSink: sink,
    suffix: () => randomUUID().replace(/-/g, "").slice(0, 7),
  });

const urn = (n: string) =>
  `urn:pulumi:it::proj::pulumi-nodejs:dynamic/superserve-mesa:SuperserveTemplate::${uniqueName(n)}`;

async function injectFault(spec: FaultSpec): Promise<void> {
  const res = await fetch(`${server.url}/_local/faults`, {
    method: "POST",
    headers: { Authorization: `Bearer ${server.apiKey}`, "Content-Type": "application/json" },
    body: JSON.stringify(spec),
  });
  expect(res.status, `fault ${JSON.stringify(spec)} armed`).toBe(201);
}

/** Removes armed faults; returns how many were still armed (0 means every injected fault was hit). */
async function clearFaults(): Promise<number> {
  const res = await fetch(`${server.url}/_local/faults`, {
    method: "DELETE",
    headers: { Authorization: `Bearer ${server.apiKey}` },
  });
  return ((await res.json()) as { cleared: number }).cleared;
}

async function templateNames(): Promise<string[]> {
  const list = await superserveSdk().Template.list({ apiKey: server.apiKey, baseUrl: server.url });
  return list.map((t) => t.name);
}

describe("SuperserveTemplate provider against local Superserve", () => {
  it("builds, reads, and deletes; a deleted template reads as gone", async () => {
    const p = provider();
    const { inputs } = await p.check(
      {},
      { pulumiUrn: urn("ok"), from: "ubuntu:24.04", steps: [{ run: "echo built-ok" }] },
    );
    const { id, outs } = await p.create(inputs);
    expect(outs).toMatchObject({ status: "ready", name: inputs.name });
    expect(outs.buildSpecHash).toMatch(/\S/);
    expect((await p.read(id, outs)) as object).toMatchObject({ id, props: { status: "ready" } });
    await p.delete(id, outs);
    expect(await p.read(id, outs)).toEqual({});
    await expect(p.delete(id, outs)).resolves.toBeUndefined();
  });

  it("a failed build reports the vendor code and log tail and leaves no template", async () => {
    const p = provider();
    const { inputs } = await p.check(
      {},
      {
        pulumiUrn: urn("bad"),
        from: "ubuntu:24.04",
        steps: [{ run: "echo about-to-fail; exit 3" }],
      },
    );
    const err = await p.create(inputs).catch((e) => e);
    expect(err.message).toMatch(/failed to build \(step_failed\)/);
    expect(err.message).toContain("Last build log lines");
    expect(err.message).toContain("about-to-fail");
    expect(await templateNames()).not.toContain(inputs.name);
  });
});

describe("SuperserveTemplate provider under injected faults", () => {
  it("retries a 429 with Retry-After on create and 503s on build polls, then builds exactly one template", async () => {
    const p = provider();
    const { inputs } = await p.check(
      {},
      { pulumiUrn: urn("rate"), from: "ubuntu:24.04", steps: [{ run: "echo under-faults" }] },
    );
    await injectFault({
      method: "POST",
      path: "/templates$",
      status: 429,
      retryAfterSeconds: 1,
      count: 2,
    });
    // The SDK itself retries GETs 3 times; 4 faults make one SDK call fail so the provider must retry it.
    await injectFault({
      method: "GET",
      path: "/templates/[^/]+/builds/[^/]+$",
      status: 503,
      count: 4,
    });
    const { id, outs } = await p.create(inputs);
    expect(outs.status, "the build finished despite the faults").toBe("ready");
    expect(await clearFaults(), "every injected fault was hit").toBe(0);
    expect(
      logs.filter((l) => l.includes("transient failure (HTTP 429)")),
      "two retried 429s",
    ).toHaveLength(2);
    expect(
      logs.some((l) => l.includes("transient failure (HTTP 503)")),
      "a retried 503",
    ).toBe(true);
    expect(
      (await templateNames()).filter((n) => n === inputs.name),
      "no duplicate template from the retried create",
    ).toHaveLength(1);

    await injectFault({ method: "DELETE", path: "/templates/[^/]+$", status: 503, count: 4 });
    await p.delete(id, outs);
    expect(await clearFaults(), "the delete went through the faults").toBe(0);
    expect(await templateNames()).not.toContain(inputs.name);
  });

  it("retries 429s on refresh and reads the template", async () => {
    const p = provider();
    const { inputs } = await p.check({}, { pulumiUrn: urn("refresh"), from: "ubuntu:24.04" });
    const { id, outs } = await p.create(inputs);
    sleeps.length = 0;
    await injectFault({
      method: "GET",
      path: "/templates/[^/]+$",
      status: 429,
      retryAfterSeconds: 0,
      count: 4,
    });
    expect((await p.read(id, outs)) as object).toMatchObject({
      id,
      props: { status: "ready", name: inputs.name },
    });
    expect(await clearFaults(), "every injected fault was hit").toBe(0);
    expect(sleeps, "the provider retried once after the SDK's own three attempts").toHaveLength(1);
    await p.delete(id, outs);
  });

  it("a 400 fails at once, without retries or a template left behind", async () => {
    const p = provider();
    const { inputs, failures } = await p.check(
      {},
      {
        pulumiUrn: urn("invalid"),
        from: "ubuntu:24.04",
        steps: [{ user: { name: "Not A User" } }],
      },
    );
    expect(failures, "check leaves the user name to the service").toEqual([]);
    const started = Date.now();
    const err = await p.create(inputs).catch((e) => e);
    expect(err?.statusCode, `expected a 400 from the service, got ${err}`).toBe(400);
    expect(err.message).toContain("user.name");
    expect(sleeps, "no retry of a permanent failure").toEqual([]);
    expect(Date.now() - started, "failed at once").toBeLessThan(2000);
    expect(await templateNames()).not.toContain(inputs.name);
  });
});
