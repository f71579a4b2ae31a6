import { execFileSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalMesa, type LocalMesa } from "../../../local/mesa";
import { systemClock } from "../../../local/superserve";
import {
  ALLOW_ALL,
  EgressLayer,
  placeholderFor,
  type BoundSecret,
} from "../../../local/superserve/egress";
import { MAX_SOCKET_PATH_BYTES, shortDir } from "../../../local/superserve/egress/socket-path";
import { SqliteStore } from "../../../local/superserve/store/sqlite-store";
import { eventually } from "../../helpers/eventually";
import {
  connectVia,
  echoServer,
  httpVia,
  httpsVia,
  recordingServer,
  silentServer,
} from "./egress-client";
import { secretRecord } from "./secret-record";

/** The egress layer on its own, driven over its Unix sockets as a sandbox's bridge drives it. */
describe("egress layer", () => {
  let dir: string;
  let store: SqliteStore;
  let layer: EgressLayer;
  let echo: Awaited<ReturnType<typeof echoServer>>;
  let api: Awaited<ReturnType<typeof recordingServer>>;
  let other: Awaited<ReturnType<typeof recordingServer>>;
  let mesa: LocalMesa;
  const bound = new Map<string, BoundSecret[]>();

  const rows = (id: string) => store.listNetworkEvents(id, { limit: 100 });

  beforeAll(async () => {
    // A state dir long enough that the sockets must fall back to the short directory.
    dir = mkdtempSync(join(tmpdir(), `egress-${"x".repeat(60)}-`));
    store = new SqliteStore(join(dir, "store.sqlite"));
    [echo, api, other, mesa] = await Promise.all([
      echoServer(),
      recordingServer(),
      recordingServer(),
      startLocalMesa({ port: 0 }),
    ]);
    layer = await EgressLayer.open({
      stateDir: join(dir, "egress"),
      store,
      secrets: (id) => bound.get(id) ?? [],
      clock: systemClock,
      mesaUrl: mesa.url,
      upstreams: {
        "echo.example.test": `tcp://127.0.0.1:${echo.port}`,
        "api.example.test": api.url,
        "other.example.test": other.url,
      },
    });
  });
  afterAll(async () => {
    await layer?.close();
    await Promise.all([echo?.close(), api?.close(), other?.close(), mesa?.stop()]);
    store?.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(shortDir(join(dir, "egress")), { recursive: true, force: true });
  });

  it("keeps socket paths short and the same across a restart, and the CA key private", async () => {
    const first = await layer.attach("sbx-restart", ALLOW_ALL);
    expect(Buffer.byteLength(first.socketPath)).toBeLessThanOrEqual(MAX_SOCKET_PATH_BYTES);
    expect(await layer.attach("sbx-restart", ALLOW_ALL), "attach is idempotent").toEqual(first);
    const cert = readFileSync(layer.caCertFile, "utf8");
    expect(cert).toMatch(/BEGIN CERTIFICATE/);
    expect(cert, "the CA certificate file holds no key").not.toMatch(/PRIVATE KEY/);
    expect(statSync(join(dir, "egress", "ca", "ca-key.pem")).mode & 0o777).toBe(0o600);
    await layer.detach("sbx-restart");
    const again = await EgressLayer.open({
      stateDir: join(dir, "egress"),
      store,
      secrets: () => [],
      clock: systemClock,
    });
    try {
      expect((await again.attach("sbx-restart", ALLOW_ALL)).socketPath).toBe(first.socketPath);
      expect(readFileSync(again.caCertFile, "utf8"), "the CA is created once per data dir").toBe(
        cert,
      );
    } finally {
      await again.close();
    }
  });

  it("tunnels CONNECT byte for byte without reading it, and logs the connection with its byte counts", async () => {
    const { socketPath } = await layer.attach("sbx-tunnel", ALLOW_ALL);
    const t = await connectVia(socketPath, "echo.example.test:443");
    expect(t.status).toBe(200);
    t.socket.resume();
    t.socket.write("ping!");
    const [echoed] = (await once(t.socket, "data")) as [Buffer];
    expect(echoed.toString()).toBe("ping!");
    t.socket.end();
    const row = await eventually("the connection row's byte counts", () =>
      rows("sbx-tunnel").find((r) => r.bytes_sent !== undefined),
    );
    expect(row).toMatchObject({
      kind: "connection",
      host: "echo.example.test",
      dst_port: 443,
      verdict: "allowed",
      bytes_sent: 5,
      bytes_recv: 5,
    });
  });

  it("blocks private ranges and deny rules, logs each block with its rule, and applies updates at once", async () => {
    const { socketPath } = await layer.attach("sbx-rules", {
      allow_out: ["*.allowed.test"],
      deny_out: ["0.0.0.0/0"],
    });
    const blocked = async (authority: string) => {
      const r = await connectVia(socketPath, authority);
      expect(r.status, `CONNECT ${authority}`).toBe(403);
      return r.body;
    };
    expect(await blocked("10.9.8.7:443")).toMatch(/private:10\.0\.0\.0\/8/);
    expect(await blocked("localhost:80"), "a name resolving to loopback").toMatch(
      /private:127\.0\.0\.0\/8/,
    );
    expect(await blocked("echo.example.test:443")).toMatch(/0\.0\.0\.0\/0/);
    expect((await httpVia(socketPath, "http://169.254.169.254/latest/meta-data")).status).toBe(403);

    expect(
      rows("sbx-rules").map((r) => [r.host ?? r.dst_ip, r.verdict, r.match_rule]),
      "newest first",
    ).toEqual([
      ["169.254.169.254", "blocked", "private:169.254.0.0/16"],
      ["echo.example.test", "blocked", "0.0.0.0/0"],
      ["localhost", "blocked", "private:127.0.0.0/8"],
      ["10.9.8.7", "blocked", "private:10.0.0.0/8"],
    ]);

    layer.update("sbx-rules", { allow_out: ["echo.example.test"], deny_out: ["0.0.0.0/0"] });
    const open = await connectVia(socketPath, "echo.example.test:443");
    expect(open.status, "the updated rules apply to the next connection").toBe(200);
    open.socket.destroy();
    expect(rows("sbx-rules")[0]).toMatchObject({
      verdict: "allowed",
      match_rule: "echo.example.test",
    });
  });

  it("serves https://mesa.dev/install.sh to clients trusting the local CA, and only to them", async () => {
    const { socketPath } = await layer.attach("sbx-install", ALLOW_ALL);
    const r = await httpsVia(socketPath, "https://mesa.dev/install.sh", {
      caFile: layer.caCertFile,
    });
    expect(r.status).toBe(200);
    expect(r.body).toContain("/opt/superserve-local/bin/mesa");
    execFileSync("sh", ["-n"], { input: r.body });
    await expect(
      httpsVia(socketPath, "https://mesa.dev/install.sh", { caFile: join(dir, "store.sqlite") }),
      "a client without the CA refuses the certificate",
    ).rejects.toThrow();
    expect(rows("sbx-install").find((e) => e.kind === "request")).toMatchObject({
      host: "mesa.dev",
      method: "GET",
      path: "/install.sh",
      status: 200,
    });
  });

  it("forwards the Mesa CLI's default API host to the local Mesa", async () => {
    const { socketPath } = await layer.attach("sbx-mesa", ALLOW_ALL);
    const direct = await fetch(`${mesa.url}/${mesa.org}/repos`, {
      headers: { authorization: `Bearer ${mesa.apiKey}` },
    });
    const viaProxy = await httpsVia(socketPath, `https://api.mesa.dev/v1/${mesa.org}/repos`, {
      caFile: layer.caCertFile,
      headers: { authorization: `Bearer ${mesa.apiKey}` },
    });
    expect(viaProxy.status).toBe(direct.status);
    expect(JSON.parse(viaProxy.body)).toEqual(await direct.json());
    expect(rows("sbx-mesa").find((e) => e.kind === "request")).toMatchObject({
      host: "api.mesa.dev",
      path: `/v1/${mesa.org}/repos`,
      status: 200,
      upstream_status: 200,
    });
  });

  it("forwards only normalised API paths to the local Mesa: no escape to its fault endpoint, each refusal logged as blocked", async () => {
    const { socketPath } = await layer.attach("sbx-escape", ALLOW_ALL);
    const admin = { authorization: `Bearer ${mesa.apiKey}`, "content-type": "application/json" };
    const arm = JSON.stringify({ count: 1, status: 503 });
    const escapes = [
      "/../_local/faults",
      "/v1/../_local/faults",
      "/v1/%2e%2e/_local/faults",
      "/v1/..%2f_local/faults",
      "/v1\\..\\_local/faults",
      "/v1//_local/faults",
      "/_local/faults",
    ];
    for (const rawPath of escapes) {
      const r = await httpsVia(socketPath, "https://api.mesa.dev/", {
        caFile: layer.caCertFile,
        method: "POST",
        headers: admin,
        body: arm,
        rawPath,
      });
      expect(r.status, `${rawPath} over TLS`).toBe(403);
      expect(r.body, rawPath).toMatch(/forwards only the vendor's API paths/);
    }
    for (const rawPath of escapes.slice(0, 3)) {
      const r = await httpVia(socketPath, `http://api.mesa.dev${rawPath}`, admin);
      expect(r.status, `${rawPath} over plain HTTP`).toBe(403);
    }
    const cleared = await fetch(`${mesa.origin}/_local/faults`, {
      method: "DELETE",
      headers: admin,
    });
    expect(await cleared.json(), "no fault was armed through the egress layer").toEqual({
      cleared: 0,
    });
    const blocked = rows("sbx-escape").filter((e) => e.kind === "request");
    expect(blocked.length).toBe(escapes.length + 3);
    for (const row of blocked)
      expect(row).toMatchObject({
        host: "api.mesa.dev",
        status: 403,
        verdict: "blocked",
        error_code: "path_refused",
      });
    const ok = await httpsVia(socketPath, `https://api.mesa.dev/v1/${mesa.org}/repos`, {
      caFile: layer.caCertFile,
      headers: admin,
    });
    expect(ok.status, "the API itself is still forwarded").toBe(200);
  });

  it("swaps a placeholder for the real value only toward the secret's hosts, per its auth rule", async () => {
    const bearer = secretRecord({});
    const basic = secretRecord({
      value: "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
      auth_type: "per_host",
      auth_config: {
        per_host: [{ hosts: ["api.example.test"], type: "basic", username: "x-access-token" }],
      },
    });
    const apiKey = secretRecord({
      value: "lin_api_0123456789abcdef",
      auth_type: "api-key",
      auth_config: { type: "api-key", header: "X-Api-Key", prefix: "Token " },
    });
    const custom = secretRecord({
      value: "cst-9876543210zyxwvu",
      auth_type: "custom",
      auth_config: { type: "custom", headers: { "X-Custom": "key={{ value }}" } },
    });
    const list = [bearer, basic, apiKey, custom].map((s, i) => ({
      envKey: `K${i}`,
      placeholder: placeholderFor(s.value),
      secret: s,
    }));
    bound.set("sbx-secrets", list);
    const { socketPath } = await layer.attach("sbx-secrets", ALLOW_ALL);
    const [pBearer, pBasic, pKey, pCustom] = list.map((b) => b.placeholder) as [
      string,
      string,
      string,
      string,
    ];
    const send = (host: string, headers: Record<string, string>) =>
      httpsVia(socketPath, `https://${host}/v1/call?q=1`, { caFile: layer.caCertFile, headers });

    expect((await send("api.example.test", { authorization: `Bearer ${pBearer}` })).status).toBe(
      200,
    );
    expect(api.seen.at(-1)?.headers.authorization).toBe(`Bearer ${bearer.value}`);
    expect(api.seen.at(-1)?.url).toBe("/v1/call?q=1");

    const sentBasic = Buffer.from(`x-access-token:${pBasic}`).toString("base64");
    await send("api.example.test", { authorization: `Basic ${sentBasic}` });
    expect(api.seen.at(-1)?.headers.authorization).toBe(
      `Basic ${Buffer.from(`x-access-token:${basic.value}`).toString("base64")}`,
    );

    await send("api.example.test", { "x-api-key": pKey });
    expect(api.seen.at(-1)?.headers["x-api-key"]).toBe(`Token ${apiKey.value}`);

    await send("api.example.test", { "x-custom": pCustom });
    expect(api.seen.at(-1)?.headers["x-custom"]).toBe(`key=${custom.value}`);

    await send("other.example.test", { authorization: `Bearer ${pBearer}` });
    expect(other.seen.at(-1)?.headers.authorization, "another host gets the placeholder").toBe(
      `Bearer ${pBearer}`,
    );

    const requests = rows("sbx-secrets").filter((e) => e.kind === "request");
    expect(requests.map((e) => [e.host, e.secret_id])).toEqual([
      ["other.example.test", undefined],
      ["api.example.test", custom.id],
      ["api.example.test", apiKey.id],
      ["api.example.test", basic.id],
      ["api.example.test", bearer.id],
    ]);
    expect(requests[4]).toMatchObject({
      method: "GET",
      path: "/v1/call",
      status: 200,
      upstream_status: 200,
    });
    expect(store.listSecretAudit(bearer.id, { limit: 10 })).toHaveLength(1);
    expect(store.listSecretAudit(bearer.id, { limit: 10, status: "errors" })).toHaveLength(0);
  });

  it("closes only after the last log rows of its open connections and requests are written, and writes none after", async () => {
    const closeDir = mkdtempSync(join(tmpdir(), "egress-close-"));
    const closeStore = new SqliteStore(join(closeDir, "store.sqlite"));
    const silent = await silentServer();
    const closing = await EgressLayer.open({
      stateDir: join(closeDir, "egress"),
      store: closeStore,
      secrets: () => [],
      clock: systemClock,
      upstreams: {
        "echo.example.test": `tcp://127.0.0.1:${echo.port}`,
        "silent.example.test": silent.url,
      },
    });
    let layerClosed = false;
    const lateWrites: string[] = [];
    for (const name of ["addNetworkEvent", "updateNetworkEvent"] as const) {
      const write = closeStore[name].bind(closeStore) as (...a: unknown[]) => unknown;
      Object.assign(closeStore, {
        [name]: (...a: unknown[]) => {
          if (layerClosed) lateWrites.push(name);
          return write(...a);
        },
      });
    }
    try {
      const { socketPath } = await closing.attach("sbx-close", ALLOW_ALL);
      const t = await connectVia(socketPath, "echo.example.test:443");
      t.socket.on("error", () => undefined);
      t.socket.write("ping!");
      t.socket.resume();
      await once(t.socket, "data");
      const inFlight = [
        httpsVia(socketPath, "https://silent.example.test/tls", { caFile: closing.caCertFile }),
        httpVia(socketPath, "http://silent.example.test/plain"),
      ].map((p) => p.catch(() => "ended"));
      await eventually("both requests at the silent server", () => silent.seen.length === 2);

      await closing.close();
      layerClosed = true;
      const log = closeStore.listNetworkEvents("sbx-close", { limit: 100 });
      expect(
        log
          .filter((r) => r.kind === "connection")
          .map((r) => [r.host, r.bytes_sent !== undefined])
          .sort(),
        "every connection row has its byte counts when close resolves",
      ).toEqual([
        ["echo.example.test", true],
        ["silent.example.test", true],
        ["silent.example.test", true],
      ]);
      expect(
        log.filter((r) => r.kind === "request").map((r) => [r.path, r.error_code]),
        "the requests cut by the close are logged as such",
      ).toEqual(
        expect.arrayContaining([
          ["/tls", "client_closed"],
          ["/plain", "client_closed"],
        ]),
      );
      expect(await Promise.all(inFlight)).toEqual(["ended", "ended"]);
      await eventually("the silent server's connections ended", () => silent.closed() === 2);
      closeStore.close();
      await new Promise((r) => setImmediate(r));
      expect(lateWrites, "nothing is written to the store after the layer closed").toEqual([]);
    } finally {
      await closing.close();
      await silent.close();
      rmSync(closeDir, { recursive: true, force: true });
      rmSync(shortDir(join(closeDir, "egress")), { recursive: true, force: true });
    }
  });
});
