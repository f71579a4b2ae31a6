import { BuildError, ConflictError, Sandbox, Template, ValidationError } from "@superserve/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, uniqueName } from "./harness";

let h: Awaited<ReturnType<typeof startServer>>;
beforeAll(async () => (h = await startServer()));
afterAll(async () => h.cleanup());

describe("template builds through the SDK", () => {
  it("builds steps into a layer that sandboxes start from, with full logs", async () => {
    const name = uniqueName("org/tpl");
    const t = await Template.create({
      ...h.conn,
      name,
      from: "ubuntu:24.04",
      steps: [
        { workdir: "/app" },
        { run: "echo layered > marker.txt" },
        { env: { key: "GREETING", value: "hello" } },
        { user: { name: "app" } },
        { run: "id -un > /tmp/who" },
      ],
    });
    const logs: string[] = [];
    const info = await t.waitUntilReady({ pollIntervalMs: 50, onLog: (e) => logs.push(e.text) });
    expect(info.status, "template status after waitUntilReady").toBe("ready");
    expect((await Template.connect(name, h.conn)).id, "connect by %2F-encoded name").toBe(t.id);
    const events: { finished?: boolean; text: string }[] = [];
    await t.streamBuildLogs({ onEvent: (e) => events.push(e) });
    expect(
      events.map((e) => e.text).join(""),
      "build log names the image that emulates the reference",
    ).toMatch(/emulated by the local image debian-12/);
    expect(events.at(-1)?.finished, "log stream ends with a finished event").toBe(true);
    const sb = await Sandbox.create({ ...h.conn, name: uniqueName("sb"), fromTemplate: name });
    const r = await sb.commands.run("cat /app/marker.txt; echo $GREETING; cat /tmp/who");
    expect(r.stdout, "layer files, env step and user step visible").toBe("layered\nhello\napp\n");
    await sb.kill();
    expect(
      (await Template.list({ ...h.conn, namePrefix: name.slice(0, 12) })).map((x) => x.id),
    ).toContain(t.id);
  });

  it("fails a build with step_failed and the log tail, and refuses sandboxes from it", async () => {
    const name = uniqueName("bad");
    const t = await Template.create({
      ...h.conn,
      name,
      from: "debian:12",
      steps: [{ run: "echo about-to-fail >&2; exit 7" }],
    });
    const err = await t.waitUntilReady({ pollIntervalMs: 50 }).catch((e: unknown) => e);
    expect(err, "waitUntilReady rejects with BuildError").toBeInstanceOf(BuildError);
    expect((err as BuildError).code).toBe("step_failed");
    expect((err as BuildError).message, "message carries exit code and log tail").toMatch(
      /exited with code 7[\s\S]*about-to-fail/,
    );
    await expect(
      Sandbox.create({ ...h.conn, name: uniqueName("sb"), fromTemplate: name }),
    ).rejects.toBeInstanceOf(ConflictError);
  });

  it("fails with ready_cmd_failed and start_cmd_failed", async () => {
    const bad = await Template.create({
      ...h.conn,
      name: uniqueName("start"),
      from: "debian:12",
      startCmd: "exit 3",
      readyCmd: "false",
    });
    const e1 = await bad.waitUntilReady({ pollIntervalMs: 50 }).catch((e: unknown) => e);
    expect((e1 as BuildError).code).toBe("start_cmd_failed");
  });

  it("shares build_spec_hash between identical specs and rebuilds", async () => {
    const spec = { from: "debian:12", steps: [{ run: "true" }] };
    const a = await Template.create({ ...h.conn, name: uniqueName("h"), ...spec });
    const b = await Template.create({ ...h.conn, name: uniqueName("h"), ...spec });
    await a.waitUntilReady({ pollIntervalMs: 50 });
    await b.waitUntilReady({ pollIntervalMs: 50 });
    const [ba] = await a.listBuilds({ limit: 1 });
    const [bb] = await b.listBuilds({ limit: 1 });
    expect(ba.buildSpecHash).toBe(bb.buildSpecHash);
    const rebuilt = await a.rebuild();
    const again = await Template.connect(a.id, h.conn);
    expect(again.latestBuildId, "latest_build_id points at the rebuild").toBe(rebuilt.id);
    await again.waitUntilReady({ pollIntervalMs: 50 });
    await Template.deleteById(b.id, h.conn);
    await Template.deleteById(b.id, h.conn);
  });

  it("rejects bad input with 400 naming the field", async () => {
    await expect(Template.create({ ...h.conn, name: uniqueName("x"), from: "" })).rejects.toThrow(
      /build_spec.from/,
    );
    await expect(
      Template.create({ ...h.conn, name: "bad name!", from: "debian" }),
    ).rejects.toBeInstanceOf(ValidationError);
  });
});
