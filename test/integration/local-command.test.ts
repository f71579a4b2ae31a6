/**
 * The local backends' command (`pulumi-superserve-mesa-local`, built to local/dist/cli.js by
 * `npm run build`) as a user runs it: start, status, stop, in a temp data directory on free ports.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runLocalCommand as run } from "../helpers/local-command";

const dataDir = mkdtempSync(join(tmpdir(), "psm-local-command-"));

const json = (out: string) =>
  JSON.parse(out) as {
    running: boolean;
    pid?: number;
    dataDir: string;
    mesa?: { url: string };
    superserve?: { url: string; apiKey: string };
  };

afterAll(() => {
  run("stop", "--data-dir", dataDir);
  rmSync(dataDir, { recursive: true, force: true });
});

describe("pulumi-superserve-mesa-local", () => {
  it("starts, reports, refuses other ports while running, and stops", async () => {
    expect(json(run("status", "--json", "--data-dir", dataDir).stdout)).toEqual({
      running: false,
      dataDir,
    });

    const started = run(
      "start",
      "--json",
      "--data-dir",
      dataDir,
      "--mesa-port",
      "0",
      "--superserve-port",
      "0",
    );
    expect(started.code, started.stderr).toBe(0);
    const status = json(started.stdout);
    expect(status).toMatchObject({ running: true, dataDir });
    const templates = await fetch(`${status.superserve!.url}/templates`, {
      headers: { "X-API-Key": status.superserve!.apiKey },
    });
    expect(templates.status, "the started Superserve answers with its key").toBe(200);

    const again = run("start", "--json", "--data-dir", dataDir);
    expect(again.code, again.stderr).toBe(0);
    expect(json(again.stdout).pid, "a second start reports the running backends").toBe(status.pid);

    const mesaPort = Number(new URL(status.mesa!.url).port);
    const otherPort = run(
      "start",
      "--data-dir",
      dataDir,
      "--mesa-port",
      String(mesaPort === 65535 ? 65534 : mesaPort + 1),
    );
    expect(otherPort.code).toBe(2);
    expect(otherPort.stderr).toContain("already run");
    expect(otherPort.stderr).toContain("Stop them first to change ports");

    const stopped = run("stop", "--json", "--data-dir", dataDir);
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(json(stopped.stdout)).toEqual({ running: false, dataDir });
    expect(() => process.kill(status.pid!, 0), "the backends' process has exited").toThrow();
    expect(run("status", "--data-dir", dataDir).stdout).toContain(
      `stopped (data in ${dataDir}). Start them with: npx pulumi-superserve-mesa-local start --data-dir ${dataDir}`,
    );
  });

  it("says why it did not start, with the end of its log", async () => {
    const busy: Server = createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    const { port } = busy.address() as { port: number };
    try {
      const r = run(
        "start",
        "--data-dir",
        dataDir,
        "--mesa-port",
        String(port),
        "--superserve-port",
        "0",
      );
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        `the local backends did not start; the end of ${join(dataDir, "local.log")}`,
      );
      expect(r.stderr).toContain("EADDRINUSE");
    } finally {
      busy.close();
    }
  });
});
