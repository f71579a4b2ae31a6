import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConflictError, Sandbox, Secret, ValidationError } from "@superserve/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { socketPathFor } from "../../../local/superserve/egress/socket-path";
import { connectVia, httpsVia, recordingServer } from "./egress-client";
import { startServer, uniqueName } from "./harness";

/**
 * The egress layer of a running local Superserve, seen through the SDK: a real sandbox's
 * placeholders, rules and network log. The sandbox's side of the bridge (its network namespace)
 * is driven from here, on the socket its proxy serves.
 */
let h: Awaited<ReturnType<typeof startServer>>;
let api: Awaited<ReturnType<typeof recordingServer>>;
let other: Awaited<ReturnType<typeof recordingServer>>;
let tools: string;

beforeAll(async () => {
  [api, other] = await Promise.all([recordingServer(), recordingServer()]);
  tools = mkdtempSync(join(tmpdir(), "egress-tools-"));
  writeFileSync(join(tools, "mesa"), '#!/bin/sh\necho local mesa "$@"\n');
  chmodSync(join(tools, "mesa"), 0o755);
  h = await startServer({
    sandboxTools: tools,
    upstreams: { "api.example.test": api.url, "other.example.test": other.url },
  });
});
afterAll(async () => {
  await h?.cleanup();
  await Promise.all([api?.close(), other?.close()]);
  rmSync(tools, { recursive: true, force: true });
});

const socketOf = (sb: Sandbox) => socketPathFor(join(h.ss.dataDir, "egress"), sb.id);

describe("egress of a local sandbox through the SDK", () => {
  it("puts a placeholder in the sandbox, swaps the real value toward the secret's host, and logs and audits it", async () => {
    const real = "sk-test-Zq8f0aLr2Vw9Xy7Kp4Mn6Bt";
    const secret = await Secret.create({
      ...h.conn,
      name: uniqueName("key").replace(/-/g, "_"),
      value: real,
      hosts: ["api.example.test"],
      auth: { type: "bearer" },
    });
    const sb = await Sandbox.create({
      ...h.conn,
      name: uniqueName("sb"),
      secrets: { API_KEY: secret.name },
    });
    const placeholder = (await sb.commands.run("printenv API_KEY")).stdout.trim();
    expect(placeholder).not.toBe(real);
    expect(placeholder).toMatch(/^sk-test-[A-Za-z0-9]+$/);
    expect(placeholder.length, "shaped like the real value").toBe(real.length);
    const everything = await sb.commands.run(
      "env; tr '\\0' '\\n' < /proc/1/environ; cat /proc/self/environ",
    );
    expect(
      everything.stdout,
      "the real value is nowhere in the sandbox's environment",
    ).not.toContain(real);

    const socket = socketOf(sb);
    const call = (host: string) =>
      httpsVia(socket, `https://${host}/v1/messages`, {
        caFile: h.ss.caCertFile,
        method: "POST",
        headers: { authorization: `Bearer ${placeholder}`, "content-type": "application/json" },
        body: "{}",
      });
    expect((await call("api.example.test")).status).toBe(200);
    expect(api.seen.at(-1)?.headers.authorization, "the upstream sees the real value").toBe(
      `Bearer ${real}`,
    );
    expect((await call("other.example.test")).status).toBe(200);
    expect(other.seen.at(-1)?.headers.authorization, "another host sees the placeholder").toBe(
      `Bearer ${placeholder}`,
    );

    const log = await sb.getNetworkLog();
    const requests = log.events.filter((e) => e.kind === "request");
    expect(requests.map((e) => [e.host, e.method, e.path, e.status, e.secretId])).toEqual([
      ["other.example.test", "POST", "/v1/messages", 200, undefined],
      ["api.example.test", "POST", "/v1/messages", 200, secret.id],
    ]);
    expect(
      log.events.filter((e) => e.kind === "connection").map((e) => [e.host, e.verdict]),
    ).toEqual([
      ["other.example.test", "allowed"],
      ["api.example.test", "allowed"],
    ]);

    const audit = await secret.getAudit();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      sandboxId: sb.id,
      sandboxName: sb.name,
      secretId: secret.id,
      method: "POST",
      host: "api.example.test",
      path: "/v1/messages",
      status: 200,
      upstreamStatus: 200,
    });
    expect(await secret.getAudit({ status: "errors" }), "no failed requests").toEqual([]);
    expect(await secret.getAudit({ before: audit[0].id }), "nothing older").toEqual([]);

    await secret.rotate("sk-test-rotatedvalue000000000");
    expect(
      (await sb.commands.run("printenv API_KEY")).stdout.trim(),
      "a rotation keeps the placeholder",
    ).toBe(placeholder);
    await call("api.example.test");
    expect(api.seen.at(-1)?.headers.authorization, "the new value is swapped in at once").toBe(
      "Bearer sk-test-rotatedvalue000000000",
    );
    await sb.kill();
  });

  it("pages the network log newest first, filters by verdict and time, and applies a network PATCH to the running sandbox", async () => {
    const sb = await Sandbox.create({ ...h.conn, name: uniqueName("sb") });
    const socket = socketOf(sb);
    expect(existsSync(socket), "the sandbox's proxy serves its socket").toBe(true);
    for (const host of ["api.example.test", "other.example.test"])
      expect((await httpsVia(socket, `https://${host}/`, { caFile: h.ss.caCertFile })).status).toBe(
        200,
      );
    expect((await connectVia(socket, "10.0.0.1:443")).status).toBe(403);

    const all = await sb.getNetworkLog();
    expect(all.hasMore).toBe(false);
    const first = await sb.getNetworkLog({ limit: 2 });
    expect(first.hasMore).toBe(true);
    const second = await sb.getNetworkLog({ limit: 2, before: first.nextCursor! });
    expect(
      [...first.events, ...second.events].map((e) => e.id),
      "pages follow on without gaps",
    ).toEqual(all.events.slice(0, 4).map((e) => e.id));
    const blocked = await sb.getNetworkLog({ verdict: "blocked" });
    expect(blocked.events.map((e) => [e.kind, e.dstIp, e.matchRule])).toEqual([
      ["connection", "10.0.0.1", "private:10.0.0.0/8"],
    ]);
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect((await sb.getNetworkLog({ since: future })).events).toEqual([]);
    await expect(sb.getNetworkLog({ before: "yesterday" })).rejects.toBeInstanceOf(ValidationError);

    await sb.update({ network: { allowOut: ["other.example.test"], denyOut: ["0.0.0.0/0"] } });
    const refused = await connectVia(socket, "api.example.test:443");
    expect(refused.status, "the PATCH applies to the next connection").toBe(403);
    expect(refused.body).toMatch(/0\.0\.0\.0\/0/);
    expect((await connectVia(socket, "other.example.test:443")).status).toBe(200);
    await expect(
      sb.update({ network: { denyOut: ["example.com"] } }),
      "deny_out takes CIDRs only",
    ).rejects.toBeInstanceOf(ValidationError);

    await sb.pause();
    await expect(sb.update({ network: { denyOut: [] } })).rejects.toBeInstanceOf(ConflictError);
    await sb.kill();
    expect(existsSync(socket), "delete closes the sandbox's socket").toBe(false);
  });

  it("serves an installer that installs the local mesa in the sandbox", async () => {
    const sb = await Sandbox.create({ ...h.conn, name: uniqueName("sb") });
    const script = await httpsVia(socketOf(sb), "https://mesa.dev/install.sh", {
      caFile: h.ss.caCertFile,
    });
    expect(script.status).toBe(200);
    await sb.files.write("/tmp/install.sh", script.body);
    const r = await sb.commands.run(
      "sh /tmp/install.sh --yes --version 1.2.3 && /usr/local/bin/mesa --help",
    );
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("installed to /usr/local/bin/mesa");
    expect(r.stdout).toContain("local mesa --help");
    expect(
      (await sb.commands.run("sh /tmp/install.sh --bogus")).exitCode,
      "unknown flags fail",
    ).toBe(2);
    await sb.kill();
  });
});
