import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalSuperserve } from "../../../local/superserve/server";
import type { LogSink } from "../../../provider/engine-log";
import { systemClock } from "../../../provider/retry";
import { createProvider } from "../../../provider/superserve-template-provider";
import { superserveSdk } from "../../../provider/clients";

let server: Awaited<ReturnType<typeof startLocalSuperserve>>;
const logs: string[] = [];
const sink: LogSink = { send: (_s, m) => void logs.push(m) };

beforeAll(async () => {
  server = await startLocalSuperserve({ port: 0 });
});
afterAll(async () => server?.stop());

const provider = () =>
  createProvider(undefined, {
    env: { SUPERSERVE_API_KEY: server.apiKey, SUPERSERVE_BASE_URL: server.url },
    cwd: "/nonexistent",
    clock: systemClock,
    logSink: sink,
    suffix: () => Math.random().toString(16).slice(2, 9),
  });

const urn = (n: string) => `urn:pulumi:it::proj::pulumi-nodejs:dynamic/superserve-mesa:SuperserveTemplate::${n}`;

describe("SuperserveTemplate provider against local Superserve", () => {
  it("builds, reads, and deletes; a deleted template reads as gone", async () => {
    const p = provider();
    const { inputs } = await p.check({}, { pulumiUrn: urn("ok"), from: "ubuntu:24.04", steps: [{ run: "echo built-ok" }] });
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
    const { inputs } = await p.check({}, { pulumiUrn: urn("bad"), from: "ubuntu:24.04", steps: [{ run: "echo about-to-fail; exit 3" }] });
    const err = await p.create(inputs).catch((e) => e);
    expect(err.message).toMatch(/failed to build \(\w+\)/);
    expect(err.message).toContain("Last build log lines");
    const left = await superserveSdk().Template.list({ apiKey: server.apiKey, baseUrl: server.url });
    expect(left.map((t) => t.name)).not.toContain(inputs.name);
  });
});
