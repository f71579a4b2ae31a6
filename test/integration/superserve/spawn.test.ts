import { execFile } from "node:child_process";
import { request } from "node:http";
import { join } from "node:path";
import { Sandbox } from "@superserve/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { credentialVariables, withoutCredentials } from "../../helpers/credentials";
import { readyTemplate, startServer, uniqueName } from "./harness";

let h: Awaited<ReturnType<typeof startServer>>;
let template: string;
beforeAll(async () => {
  h = await startServer();
  template = (await readyTemplate(h.conn)).name;
});
afterAll(async () => h.cleanup());

const create = () =>
  Sandbox.create({ ...h.conn, name: uniqueName("spawn"), fromTemplate: template });

/** Runs spawn-client.mjs (the SDK with Node's experimental WebSocket) for `scenarios` on `sandboxId`. */
function runClient(sandboxId: string, scenarios: string[]): Promise<Record<string, any>> {
  return new Promise((ok, fail) => {
    execFile(
      process.execPath,
      [
        "--experimental-websocket",
        "--no-warnings",
        "--import",
        "tsx",
        join(__dirname, "spawn-client.mjs"),
      ],
      {
        cwd: join(__dirname, "../../.."),
        env: {
          ...withoutCredentials(process.env),
          ...credentialVariables({ superserve: h.ss }),
          SANDBOX_ID: sandboxId,
          SCENARIOS: scenarios.join(","),
        },
        timeout: 60_000,
      },
      (err, stdout, stderr) => {
        if (err) return fail(new Error(`spawn-client failed: ${err.message}\n${stderr}`));
        ok(JSON.parse(stdout));
      },
    );
  });
}

/** The HTTP status a raw WebSocket upgrade of /exec/connect gets with `token` for `sandboxId`. */
function upgradeStatus(
  sandboxId: string,
  token: string,
): Promise<{ status: number; protocol?: string; body: string }> {
  return new Promise((ok, fail) => {
    const req = request(`${h.conn.baseUrl}/exec/connect`, {
      headers: {
        connection: "Upgrade",
        upgrade: "websocket",
        "sec-websocket-version": "13",
        "sec-websocket-key": Buffer.from(uniqueName("k").slice(0, 16).padEnd(16, "x")).toString(
          "base64",
        ),
        "sec-websocket-protocol": `superserve.exec.v1, token.${token}`,
        "x-superserve-original-host": `boxd-${sandboxId}.sandbox.superserve.ai`,
      },
    });
    req.on("upgrade", (res, socket) => {
      socket.destroy();
      ok({
        status: res.statusCode ?? 0,
        protocol: res.headers["sec-websocket-protocol"],
        body: "",
      });
    });
    req.on("response", (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => ok({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", fail);
    req.end();
  });
}

describe("commands.spawn over WebSocket superserve.exec.v1", () => {
  it("streams stdin/stdout/stderr, reports exit codes, kills on signal and enforces timeout_s", async () => {
    const sb = await create();
    const r = await runClient(sb.id, ["cat", "stderr", "kill", "close", "timeout"]);
    expect(r.cat, "cat echoes stdin written in frames, closed by stdin_close").toEqual({
      exitCode: 0,
      head: "hello é\n",
      length: "hello é\n".length + 70_000,
      streamed: true,
    });
    expect(r.stderr, "stderr frames, working_dir, env and exit code").toEqual({
      stdout: "/etc hi\n",
      stderr: "oops\n",
      exitCode: 7,
    });
    expect(r.kill.exitCode, "a SIGTERMed command exits 128 + 15").toBe(143);
    expect(r.kill.ms, "kill() ends the sleep promptly").toBeLessThan(5000);
    expect(r.close, "close() settles").toEqual({ closed: true });
    expect(r.timeout.exitCode, "timeoutMs → timeout_s → exit 124").toBe(124);
    expect(r.timeout.stderr, "the timeout is reported on stderr").toContain("timed out");
    const left = await sb.commands.run("ps -eo args | grep -c '^sleep [0-9]' || true");
    expect(left.stdout.trim(), "no sleep survives the killed, closed and timed-out sessions").toBe(
      "0",
    );
    await sb.kill();
  });

  it("refuses a bad token with 401 and a paused sandbox with 503; the SDK activates and redials", async () => {
    const sb = await create();
    const activate = await fetch(`${h.conn.baseUrl}/sandboxes/${sb.id}/activate`, {
      method: "POST",
      headers: { "X-API-Key": h.conn.apiKey },
    });
    const record = (await activate.json()) as { access_token: string };
    const good = await upgradeStatus(sb.id, record.access_token);
    expect(
      [good.status, good.protocol],
      "a valid token upgrades and echoes the subprotocol",
    ).toEqual([101, "superserve.exec.v1"]);
    const bad = await upgradeStatus(sb.id, "wrong-token");
    expect(bad.status, `a bad token is refused: ${bad.body}`).toBe(401);
    expect(JSON.parse(bad.body).error.code).toBe("unauthorized");
    await sb.pause();
    const paused = await upgradeStatus(sb.id, record.access_token);
    expect(paused.status, `a paused sandbox is refused: ${paused.body}`).toBe(503);
    const r = await runClient(sb.id, ["echo"]);
    expect(r.echo, "spawn resumes the paused sandbox through /activate and redials").toEqual({
      stdout: "resumed\n",
      stderr: "",
      exitCode: 0,
    });
    await sb.kill();
  });
});
