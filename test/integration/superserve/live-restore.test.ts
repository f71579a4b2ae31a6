/**
 * Live restore: a stop of the local Superserve that keeps sandboxes freezes them with their
 * processes; the next start on the same data dir takes them back, so a background process and
 * the `mesa mount -d` daemon survive and an edit made after the restart reaches Mesa. A plain
 * stop ends them (they come back paused, files kept), as after a host reboot.
 */
import type { Mesa } from "@mesadev/sdk" with { "resolution-mode": "import" };
import { Sandbox } from "@superserve/sdk";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { socketPathFor } from "../../../local/superserve/egress/socket-path";
import { eventually } from "../../helpers/eventually";
import { startLocalBackends, type LocalBackends } from "../../helpers/local-backends";
import { remoteText, seedRepo } from "../../helpers/mesa-repos";
import { connectVia } from "./egress-client";
import { uniqueName } from "./harness";

let backends: LocalBackends;
let mesa: Mesa;

/** The sandbox's status as listed (no activation). */
const statusOf = async (id: string, conn: { apiKey: string; baseUrl: string }) =>
  (await Sandbox.list(conn)).find((s) => s.id === id)?.status;

beforeAll(async () => {
  backends = await startLocalBackends({ mesaCli: true, superserve: { killGraceMs: 2000 } });
  mesa = backends.mesaClient;
});

afterAll(async () => backends?.close());

describe("sandboxes across a restart of the local Superserve", () => {
  it("keeps a background process and the mount daemon; an edit after the restart reaches Mesa", async () => {
    const conn = backends.conn();
    const mesaServer = backends.mesa;
    const repo = await seedRepo(mesa, uniqueName("live"), { "README.md": "hello\n" });
    const { token } = await mesa.tokens.create({
      scopes: ["read", "write"],
      repos: [`${mesaServer.org}/${repo}`],
      ttl_seconds: 900,
    });
    const sb = await Sandbox.create({
      ...conn,
      name: uniqueName("live"),
      fromTemplate: "superserve/base",
    });
    const mounted = await sb.commands.run("mesa mount -d -y", {
      env: { MESA_ORG: mesaServer.org, MESA_API_KEY: token },
      timeoutMs: 60_000,
    });
    expect(mounted.exitCode, mounted.stderr).toBe(0);
    const dir = `/home/user/.local/share/mesa/mnt/${mesaServer.org}/${repo}`;
    await sb.commands.run("nohup sleep 1000 >/dev/null 2>&1 & echo $! > /tmp/bg.pid");
    const before = (
      await sb.commands.run("cat /tmp/bg.pid /home/user/.local/state/mesa/run/mesa.pid")
    ).stdout;

    const egressSocket = socketPathFor(join(backends.superserve.dataDir, "egress"), sb.id);
    expect((await connectVia(egressSocket, "10.0.0.1:443")).status).toBe(403);

    await backends.restart({ keepSandboxes: true });
    const again = backends.conn();
    expect(await statusOf(sb.id, again), "an active sandbox stays active across the restart").toBe(
      "active",
    );
    const info = await Sandbox.connect(sb.id, again);
    const after = await info.commands.run(
      "cat /tmp/bg.pid /home/user/.local/state/mesa/run/mesa.pid; for p in $(cat /tmp/bg.pid /home/user/.local/state/mesa/run/mesa.pid); do kill -0 $p && echo alive; done",
    );
    expect(after.stdout, "the same background process and daemon, still running").toBe(
      `${before}alive\nalive\n`,
    );
    expect(
      (await connectVia(egressSocket, "10.0.0.2:443")).status,
      "the sandbox's egress is served again on the same socket",
    ).toBe(403);
    expect(
      (await info.getNetworkLog({ verdict: "blocked" })).events.map((e) => e.dstIp),
      "the network log survives the restart",
    ).toEqual(["10.0.0.2", "10.0.0.1"]);
    await info.commands.run(`echo after-restart > ${dir}/restart.txt`);
    await eventually(
      "the edit made after the restart to reach Mesa",
      async () =>
        (await remoteText(mesa, repo, "restart.txt")) === "after-restart\n" ? true : undefined,
      10_000,
    );

    await backends.restart();
    const third = backends.conn();
    expect(
      await statusOf(sb.id, third),
      "a plain stop ends the processes: the sandbox comes back paused",
    ).toBe("paused");
    const cold = await Sandbox.connect(sb.id, third);
    const resumed = await cold.commands.run(
      "cat /tmp/bg.pid >/dev/null && echo files-kept; kill -0 $(cat /tmp/bg.pid) 2>/dev/null || echo process-gone",
    );
    expect(resumed.stdout).toBe("files-kept\nprocess-gone\n");
    await cold.kill();
  }, 180_000);
});
