/**
 * Every sandbox and build in its own network namespace: only its own `lo`, nothing of the host's
 * loopback (a canary server, the control plane), no host frames on a packet socket; with an
 * egress spec, `127.0.0.1:3128` inside is bridged to the egress layer's Unix socket (here a real
 * proxy of the test's own), the local CA is trusted, the bridge survives live restore and leaves
 * no socat behind, and the `mesa` CLI's fetch goes through the proxy over TLS.
 */
import type { Mesa } from "@mesadev/sdk" with { "resolution-mode": "import" };
import { Sandbox, Template } from "@superserve/sdk";
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import * as net from "node:net";
import * as tls from "node:tls";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalMesa } from "../../../local/mesa";
import { buildMesaCli } from "../../../local/mesa-cli/bundle";
import { defaultImageCacheDir, ensureImages } from "../../../local/superserve/images/image-cache";
import { IMAGE_RECIPES } from "../../../local/superserve/images/recipes";
import { BwrapRuntime } from "../../../local/superserve/runtime/bwrap-runtime";
import { sandboxCgroups } from "../../../local/superserve/runtime/cgroups";
import { BASE_SANDBOX_ENV, SANDBOX_HOME } from "../../../local/superserve/runtime/sandbox-env";
import { prepareSandboxNode } from "../../../local/superserve/runtime/sandbox-node";
import type { SandboxBootSpec, SandboxEgress } from "../../../local/superserve/runtime/types";
import { eventually } from "../../helpers/eventually";
import { seedRepo } from "../../helpers/mesa-repos";
import { makeTestCa, startUnixProxy, type UnixProxy } from "../../helpers/unix-proxy";
import { startServer, uniqueName } from "./harness";

let work: string;
let image: string;
let nodeRuntimeDir: string;
let canary: http.Server;
let canaryPort: number;
let tlsCanary: https.Server;
let proxy: UnixProxy;
let egress: SandboxEgress;
let mesaServer: Awaited<ReturnType<typeof startLocalMesa>>;
let mesa: Mesa;
let mesaFront: tls.Server;
const instance = uniqueName("netns");

const listen = async (server: net.Server) => {
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  return (server.address() as net.AddressInfo).port;
};

const newRuntime = () =>
  new BwrapRuntime({
    disksDir: join(work, "disks"),
    trustLayersDir: join(work, "trust-layers"),
    cgroups: sandboxCgroups(instance),
    toolsDir: join(work, "tools"),
    nodeRuntimeDir,
    killGraceMs: 1000,
  });

const spec = (id: string, withEgress?: SandboxEgress): SandboxBootSpec => ({
  id,
  image,
  layers: [],
  limits: { vcpu: 1, memoryMib: 1024, diskMib: 2048 },
  ...(withEgress && { egress: withEgress }),
});

/** Runs `command` in the sandbox with the base environment (plus `env`). */
async function sh(rt: BwrapRuntime, id: string, command: string, env: Record<string, string> = {}) {
  let stdout = "";
  let stderr = "";
  const { exitCode } = await rt.exec(
    id,
    { command, cwd: SANDBOX_HOME, env: { ...BASE_SANDBOX_ENV, ...env }, timeoutSeconds: 60 },
    { onStdout: (c) => (stdout += c.toString()), onStderr: (c) => (stderr += c.toString()) },
  );
  return { exitCode, stdout, stderr };
}

/** Host processes running socat toward `socketPath` (the bridge of a sandbox and its forks). */
function socatsTo(socketPath: string): number[] {
  return fs
    .readdirSync("/proc")
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        const argv = fs.readFileSync(`/proc/${p}/cmdline`, "utf8").split("\0");
        return argv[0].endsWith("socat") && argv.some((a) => a.includes(socketPath));
      } catch {
        return false;
      }
    })
    .map(Number);
}

beforeAll(async () => {
  work = fs.mkdtempSync(join(tmpdir(), "ss-netns-"));
  const cache = defaultImageCacheDir();
  image = (await ensureImages(IMAGE_RECIPES, { cacheDir: cache })).get("superserve-base")!.rootfs;
  nodeRuntimeDir = await prepareSandboxNode(join(cache, "node-runtime"));
  await buildMesaCli(join(work, "tools"));
  const ca = makeTestCa(work, ["canary.test", "mesa.test"]);
  canary = http.createServer((_req, res) => res.end("host canary\n"));
  canaryPort = await listen(canary);
  tlsCanary = https.createServer({ key: ca.key, cert: ca.cert }, (req, res) =>
    res.end(`tls canary ${req.url}\n`),
  );
  const tlsPort = await listen(tlsCanary);
  mesaServer = await startLocalMesa({ dataDir: join(work, "mesa"), port: 0 });
  const sdk = await import("@mesadev/sdk");
  mesa = new sdk.Mesa({ apiKey: mesaServer.apiKey, apiUrl: mesaServer.url, org: mesaServer.org });
  // mesa.test: TLS (the test CA) in front of the local Mesa, as the egress layer serves it.
  const mesaPort = Number(new URL(mesaServer.url).port);
  mesaFront = tls.createServer({ key: ca.key, cert: ca.cert }, (s) =>
    s.pipe(net.connect(mesaPort, "127.0.0.1")).pipe(s),
  );
  const frontPort = await listen(mesaFront);
  const socketPath = join(work, "egress.sock");
  proxy = await startUnixProxy(socketPath, {
    "canary.test": tlsPort,
    "plain.test": canaryPort,
    "mesa.test": frontPort,
  });
  egress = { socketPath, caCertFile: ca.caCertFile };
}, 600_000);

afterAll(async () => {
  await proxy?.close();
  for (const s of [canary, tlsCanary, mesaFront]) s?.close();
  await mesaServer?.stop();
  await newRuntime().close();
  fs.rmSync(work, { recursive: true, force: true });
});

describe("a sandbox's own network", () => {
  it("has only lo: no host interface, no host loopback server, no host frames", async () => {
    const rt = newRuntime();
    const id = uniqueName("own");
    await rt.boot(spec(id));
    try {
      const dev = await sh(rt, id, "cat /proc/net/dev");
      const names = dev.stdout
        .split("\n")
        .filter((l) => l.includes(":"))
        .map((l) => l.split(":")[0].trim());
      expect(names, dev.stdout).toEqual(["lo"]);

      const reach = await sh(rt, id, `curl -sS --max-time 5 http://127.0.0.1:${canaryPort}/`);
      expect(reach.stdout, "the host's loopback canary must not answer").toBe("");
      expect(reach.exitCode, reach.stderr).toBe(7);

      const sniff = [
        "import socket, time",
        "s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))",
        "s.settimeout(0.1)",
        "n, end = 0, time.time() + 1.5",
        "while time.time() < end:",
        "    try:",
        "        s.recv(65535); n += 1",
        "    except socket.timeout:",
        "        pass",
        "print(n)",
      ].join("\n");
      const traffic = setInterval(() => {
        http.get(`http://127.0.0.1:${canaryPort}/`, (r) => r.resume()).on("error", () => {});
      }, 20);
      const frames = await sh(rt, id, `python3 -c '${sniff}'`).finally(() =>
        clearInterval(traffic),
      );
      expect(frames.stdout, `frames seen by a packet socket inside: ${frames.stderr}`).toBe("0\n");

      const dns = await sh(rt, id, "getent hosts example.invalid; echo $?");
      expect(dns.stdout, "no resolver inside: names are the proxy's business").toBe("2\n");
    } finally {
      await rt.destroy(id);
    }
  }, 120_000);

  it("cannot reach the local Superserve's control plane, from a sandbox or a build", async () => {
    const server = await startServer();
    const { ss, conn } = server;
    try {
      const sb = await Sandbox.create({
        ...conn,
        name: uniqueName("cp"),
        fromTemplate: "superserve/base",
      });
      const r = await sb.commands.run(`curl -sS --max-time 5 ${ss.url}/health`);
      expect(r.stdout, "the control plane must not answer inside a sandbox").toBe("");
      expect(r.exitCode, r.stderr).toBe(7);
      await sb.kill();
      const t = await Template.create({
        ...conn,
        name: uniqueName("own-net-build"),
        from: "debian:12",
        steps: [{ run: `[ "$(grep -c : /proc/net/dev)" = 1 ] && grep -q '^ *lo:' /proc/net/dev` }],
      });
      await t.waitUntilReady({ pollIntervalMs: 50 });
    } finally {
      await server.cleanup();
    }
  }, 180_000);
});

describe("the egress bridge", () => {
  it("reaches the egress proxy at 127.0.0.1:3128, trusts its CA, survives live restore, leaves no socat", async () => {
    let rt = newRuntime();
    const id = uniqueName("bridge");
    await rt.boot(spec(id, egress));
    try {
      const viaProxy = await sh(rt, id, "curl -sS --max-time 10 https://canary.test/hello");
      expect(viaProxy.stdout, viaProxy.stderr).toBe("tls canary /hello\n");
      expect(proxy.requests).toContain("CONNECT canary.test:443");
      const plain = await sh(rt, id, "curl -sS --max-time 10 http://plain.test/");
      expect(plain.stdout, plain.stderr).toBe("host canary\n");
      expect(proxy.requests).toContain("GET http://plain.test/");
      const ca = await sh(rt, id, "cat /etc/ssl/certs/superserve-local-ca.pem");
      expect(ca.stdout).toBe(fs.readFileSync(egress.caCertFile, "utf8"));
      const ignoring = await sh(rt, id, "curl -sS --noproxy '*' --max-time 5 https://canary.test/");
      expect(ignoring.exitCode, "a tool ignoring the proxy cannot resolve names").toBe(6);
      const regenerated = await sh(
        rt,
        id,
        "update-ca-certificates >/dev/null && curl -sS --max-time 10 https://canary.test/regenerated",
      );
      expect(
        regenerated.stdout,
        `a regenerated system bundle keeps the local CA: ${regenerated.stderr}`,
      ).toBe("tls canary /regenerated\n");

      expect(socatsTo(egress.socketPath)).toHaveLength(1);
      await rt.detach();
      rt = newRuntime();
      expect(await rt.adopt(new Set([id]))).toEqual([id]);
      await rt.thaw(id);
      const again = await sh(rt, id, "curl -sS --max-time 10 https://canary.test/again");
      expect(again.stdout, again.stderr).toBe("tls canary /again\n");

      await rt.stop(id);
      expect(socatsTo(egress.socketPath), "stop leaves no socat behind").toEqual([]);
      await rt.boot(spec(id, egress));
      expect(socatsTo(egress.socketPath)).toHaveLength(1);
    } finally {
      await rt.destroy(id);
    }
    expect(socatsTo(egress.socketPath), "destroy leaves no socat behind").toEqual([]);
  }, 120_000);

  it("refuses an egress socket path socat cannot take, or a CA file with a private key, naming the field", async () => {
    const rt = newRuntime();
    await expect(
      rt.boot(spec(uniqueName("bad"), { ...egress, socketPath: join(work, "a,b.sock") })),
    ).rejects.toThrow(/egress\.socketPath .* must be an absolute path without ','/);
    await expect(
      rt.boot(spec(uniqueName("bad"), { ...egress, socketPath: `/${"x".repeat(120)}` })),
    ).rejects.toThrow(/egress\.socketPath .* is 121 bytes long/);
    await expect(
      rt.boot(spec(uniqueName("bad"), { ...egress, caCertFile: join(work, "ca.key") })),
    ).rejects.toThrow(
      /egress\.caCertFile .* must hold the CA certificate \(PEM\) and no private key/,
    );
    const notALayer = join(work, "not-a-layer");
    fs.writeFileSync(notALayer, "");
    await expect(
      rt.boot({ ...spec(uniqueName("bad"), egress), layers: [notALayer] }),
    ).rejects.toThrow(/failed to boot/);
    expect(socatsTo(egress.socketPath), "a failed boot leaves no socat behind").toEqual([]);
  });

  it("takes the mesa CLI's fetch through the proxy: `mesa mount -d` over TLS with the local CA", async () => {
    const rt = newRuntime();
    const id = uniqueName("mesa");
    await rt.boot(spec(id, egress));
    try {
      const repo = await seedRepo(mesa, uniqueName("via-proxy"), {
        "README.md": "through the proxy\n",
      });
      const { token } = await mesa.tokens.create({
        scopes: ["read", "write"],
        repos: [`${mesaServer.org}/${repo}`],
        ttl_seconds: 900,
      });
      const mounted = await sh(rt, id, "mesa mount -d -y", {
        MESA_ORG: mesaServer.org,
        MESA_API_KEY: token,
        MESA_API_URL: "https://mesa.test/v1",
      });
      expect(mounted.exitCode, mounted.stderr).toBe(0);
      expect(mounted.stderr, "no warning on the command's stderr").toBe("");
      expect(proxy.requests).toContain("CONNECT mesa.test:443");
      const file = `${SANDBOX_HOME}/.local/share/mesa/mnt/${mesaServer.org}/${repo}/README.md`;
      await eventually("the mounted file to be readable", async () => {
        const r = await sh(rt, id, `cat ${file}`);
        return r.stdout === "through the proxy\n";
      });
    } finally {
      await rt.destroy(id);
    }
  }, 120_000);
});
