import { Sandbox, Template } from "@superserve/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readyTemplate, startServer, uniqueName } from "./harness";

/** What the vendor's OpenAPI spec declares beyond what the SDK reads: ids, absent fields, status codes, headers. */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let h: Awaited<ReturnType<typeof startServer>>;
let template: Template;
beforeAll(async () => {
  h = await startServer();
  template = await readyTemplate(h.conn);
});
afterAll(async () => h.cleanup());

/** A raw control-plane call (the SDK hides statuses and headers); `key: false` sends no API key. */
async function call(method: string, path: string, body?: unknown, key = true) {
  const res = await fetch(`${h.ss.url}${path}`, {
    method,
    headers: {
      ...(key && { "x-api-key": h.ss.apiKey }),
      ...(body !== undefined && { "content-type": "application/json" }),
    },
    ...(body !== undefined && { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  const json =
    text && res.headers.get("content-type")?.includes("json")
      ? (JSON.parse(text) as JsonAnswer)
      : undefined;
  return { status: res.status, headers: res.headers, text, json };
}

/** A JSON answer: an object (a resource, or the error envelope) or, for lists, an array of objects. */
type JsonAnswer = Record<string, unknown> & { error?: { code: string; message: string } } & {
  [index: number]: Record<string, unknown> | undefined;
};

describe("the local Superserve against the vendor's spec", () => {
  it("uses UUIDs for sandboxes, templates, builds and the team; the SDK still connects by name", async () => {
    const raw = await call("GET", `/templates/${template.id}`);
    expect(raw.json?.id).toMatch(UUID);
    expect(raw.json?.team_id).toMatch(UUID);
    expect(raw.json?.latest_build_id).toMatch(UUID);
    const byName = await Template.connect(template.name, h.conn);
    expect(byName.id, "a template name still finds the template").toBe(template.id);
    const sb = await Sandbox.create({
      ...h.conn,
      name: uniqueName("uuid"),
      fromTemplate: template.name,
    });
    expect(sb.id).toMatch(UUID);
    expect(
      (await sb.commands.run("echo via-uuid-host")).stdout,
      "the data plane routes a UUID sandbox host",
    ).toBe("via-uuid-host\n");
    await sb.kill();
  });

  it("leaves unset fields out instead of sending null", async () => {
    const sb = await Sandbox.create({
      ...h.conn,
      name: uniqueName("absent"),
      fromTemplate: template.name,
    });
    const got = await call("GET", `/sandboxes/${sb.id}`);
    expect(got.json, "no timeout was set").not.toHaveProperty("timeout_seconds");
    expect(Object.values(got.json ?? {}), "no field is null").not.toContain(null);
    const created = await call("POST", "/templates", {
      name: uniqueName("absent"),
      build_spec: { from: "debian:12" },
    });
    expect(created.status).toBe(202);
    expect(created.json?.status, "a new template is building (the 202's enum has no pending)").toBe(
      "building",
    );
    for (const field of ["size_bytes", "built_at", "error_message"])
      expect(created.json).not.toHaveProperty(field);
    const builds = await call("GET", `/templates/${String(created.json?.id)}/builds`);
    expect(Object.values(builds.json?.[0] ?? {}), "no build field is null").not.toContain(null);
    await sb.kill();
  });

  it("takes the spec's required fields, defaults and limits", async () => {
    const noName = await call("POST", "/sandboxes", { from_template: template.name });
    expect(noName.status).toBe(400);
    expect(noName.json?.error?.message).toContain("`name`");
    const longName = await call("POST", "/sandboxes", {
      name: "x".repeat(65),
      from_template: template.name,
    });
    expect(longName.status, "name is at most 64 characters").toBe(400);
    const many = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, "v"]));
    expect(
      (
        await call("POST", "/sandboxes", {
          name: "x",
          from_template: template.name,
          metadata: many,
        })
      ).status,
      "metadata has at most 64 keys",
    ).toBe(400);
    const reserved = await call("POST", "/sandboxes", {
      name: "x",
      from_template: template.name,
      metadata: { "Superserve.owner": "me" },
    });
    expect(reserved.json?.error?.message, "superserve. keys are reserved").toContain("reserved");
    const defaulted = await call("POST", "/sandboxes", { name: "x" });
    expect(
      defaulted.json?.error?.message ?? "",
      "without from_template the create boots superserve/base",
    ).not.toContain("from_template");
    expect(
      (
        await call("POST", "/templates", {
          name: uniqueName("big"),
          vcpu: 5,
          build_spec: { from: "debian:12" },
        })
      ).status,
      "vcpu is at most 4",
    ).toBe(400);
    expect(
      (await call("POST", "/templates", { name: "Upper", build_spec: { from: "debian:12" } }))
        .status,
      "names are lowercase",
    ).toBe(400);
    const sb = await Sandbox.create({
      ...h.conn,
      name: uniqueName("patch"),
      fromTemplate: template.name,
    });
    expect(
      (await call("PATCH", `/sandboxes/${sb.id}`)).status,
      "a PATCH without a body is refused",
    ).toBe(400);
    expect(
      (await call("PATCH", `/sandboxes/${sb.id}`, { name: "typo" })).status,
      "an unknown PATCH field is refused",
    ).toBe(400);
    expect(
      (await call("PATCH", `/sandboxes/${sb.id}`, { timeout_seconds: null })).status,
      "the SDK's null clear is accepted",
    ).toBe(204);
    const page = await call("GET", `/templates/${template.id}/builds?limit=0`);
    expect(page.status, "limit below 1 answers the operation's declared 404").toBe(404);
    expect(page.json?.error?.message).toContain("`limit`");
    expect((await call("GET", `/templates/${template.id}/builds?limit=1`)).json).toHaveLength(1);
    await sb.kill();
  });

  it("serves GET /health without a key and the control-plane exec pair, resuming a paused sandbox", async () => {
    const health = await call("GET", "/health", undefined, false);
    expect([health.status, health.json]).toEqual([200, { status: "ok", version: "0.1.0" }]);
    const sb = await Sandbox.create({
      ...h.conn,
      name: uniqueName("exec"),
      fromTemplate: template.name,
    });
    await sb.pause();
    const run = await call("POST", `/sandboxes/${sb.id}/exec`, {
      command: "printf",
      args: ["%s|", "a b", "$HOME"],
      working_dir: "/etc",
    });
    expect([run.status, run.json], "args reach the program unparsed").toEqual([
      200,
      { stdout: "a b|$HOME|", stderr: "", exit_code: 0 },
    ]);
    expect((await sb.getInfo()).status, "the exec resumed the sandbox").toBe("active");
    const env = await call("POST", `/sandboxes/${sb.id}/exec`, {
      command: "printenv",
      args: ["MY_VAR"],
      env: { MY_VAR: "1" },
      timeout_s: 0,
    });
    expect(env.json, "timeout_s 0 is the default, as on the service").toEqual({
      stdout: "1\n",
      stderr: "",
      exit_code: 0,
    });
    const stream = await call("POST", `/sandboxes/${sb.id}/exec/stream`, {
      command: "pwd; exit 3",
      working_dir: "",
    });
    expect(stream.headers.get("content-type")).toBe("text/event-stream");
    const events = stream.text
      .split("\n\n")
      .filter(Boolean)
      .map((e) => JSON.parse(e.replace(/^data: /, "")) as Record<string, unknown>);
    expect(events.map(({ timestamp: _t, ...e }) => e)).toEqual([
      { stdout: "/home/user\n" },
      { finished: true, exit_code: 3 },
    ]);
    expect(
      (await call("POST", `/sandboxes/${sb.id}/exec`, { command: "true" }, false)).status,
      "the control plane wants the API key",
    ).toBe(401);
    await sb.kill();
  });

  it("names the allowed methods in every 405", async () => {
    for (const path of ["/health", "/sandboxes", `/templates/${template.id}/builds`]) {
      const res = await call("PUT", path);
      expect(res.status, path).toBe(405);
      expect(res.headers.get("allow"), path).toBe(path === "/health" ? "GET" : "GET, POST");
    }
  });
});
