import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AuthenticationError, NotFoundError, Sandbox, ValidationError } from "@superserve/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readyTemplate, startServer, uniqueName } from "./harness";

let h: Awaited<ReturnType<typeof startServer>>;
let template: string;
beforeAll(async () => {
  h = await startServer();
  template = (await readyTemplate(h.conn)).name;
});
afterAll(async () => h.cleanup());

const create = (extra: Partial<Parameters<typeof Sandbox.create>[0]> = {}) =>
  Sandbox.create({ ...h.conn, name: uniqueName("sb"), fromTemplate: template, ...extra });

describe("sandboxes through the SDK", () => {
  it("runs commands with exit codes, stderr, env, cwd and the 124 timeout", async () => {
    const sb = await create({ envVars: { FROM_CREATE: "yes" } });
    const r = await sb.commands.run(
      "echo out; echo err >&2; echo $FROM_CREATE $PER_CALL; pwd; exit 5",
      { env: { PER_CALL: "1" } },
    );
    expect(r).toEqual({ stdout: "out\nyes 1\n/home/user\n", stderr: "err\n", exitCode: 5 });
    expect((await sb.commands.run("pwd", { cwd: "/etc" })).stdout).toBe("/etc\n");
    const t0 = Date.now();
    const slow = await sb.commands.run("sleep 30", { timeoutMs: 1000 });
    expect(slow.exitCode, "a timed-out command exits 124").toBe(124);
    expect(Date.now() - t0, "the timeout kills the command promptly").toBeLessThan(5000);
    await expect(
      sb.commands.run("head -c 3000000 /dev/zero", { maxOutputBytes: 1_000_000 }),
    ).rejects.toBeInstanceOf(ValidationError);
    await sb.kill();
  });

  it("streams output over SSE", async () => {
    const sb = await create();
    const chunks: string[] = [];
    const r = await sb.commands.run("echo one; sleep 0.2; echo two >&2; exit 2", {
      onStdout: (d) => chunks.push(`o:${d}`),
      onStderr: (d) => chunks.push(`e:${d}`),
    });
    expect(chunks).toEqual(["o:one\n", "e:two\n"]);
    expect(r.exitCode).toBe(2);
    await sb.kill();
  });

  it("round-trips binary files, downloads a directory as zip and validates paths", async () => {
    const sb = await create();
    const bytes = new Uint8Array(70_000).map((_, i) => (i * 7919) % 256);
    await sb.files.write("/home/user/bin/data.bin", bytes);
    expect(
      Buffer.from(await sb.files.read("/home/user/bin/data.bin")).equals(Buffer.from(bytes)),
    ).toBe(true);
    const zip = Buffer.from(await sb.files.downloadDir("/home/user/bin"));
    expect(zip.subarray(0, 2).toString(), "zip magic").toBe("PK");
    expect(
      zip.includes(Buffer.from("bin/data.bin")),
      "entries prefixed with the directory's name",
    ).toBe(true);
    await expect(sb.files.read("/home/user/missing")).rejects.toBeInstanceOf(NotFoundError);
    await expect(sb.files.read("relative/path")).rejects.toBeInstanceOf(ValidationError);
    const raw = await fetch(
      `https://sandbox.superserve.ai/files?path=${encodeURIComponent("/home/../etc/x")}`,
      {
        headers: { "X-Superserve-Sandbox-Id": sb.id, "X-Access-Token": "wrong" },
      },
    );
    expect(raw.status, "stale token → 401").toBe(401);
    await sb.kill();
  });

  it("pause keeps files and processes; the data plane resumes transparently with a new token", async () => {
    const sb = await create();
    await sb.commands.run("echo kept > /home/user/k.txt; (sleep 1000 &) ; true");
    await sb.pause();
    expect((await sb.getInfo()).status).toBe("paused");
    const r = await sb.commands.run(
      "cat /home/user/k.txt; cat /proc/[0-9]*/cmdline | tr '\\0' ' ' | grep -o 'sleep 1000' | wc -l",
    );
    expect(r.stdout, "files and the background process survive pause/resume").toMatch(
      /^kept\n[1-9]/,
    );
    expect((await sb.getInfo()).status).toBe("active");
    await sb.kill();
    await Sandbox.killById(sb.id, h.conn);
  });

  it("lists with metadata filters and patches with null clearing", async () => {
    const tag = uniqueName("m");
    const sb = await create({ metadata: { tag, role: "a" }, timeoutSeconds: 600 });
    await create({ metadata: { tag, role: "b" } }).then((x) => x.kill());
    const found = await Sandbox.list({ ...h.conn, metadata: { tag, role: "a" } });
    expect(found.map((s) => s.id)).toEqual([sb.id]);
    await Sandbox.updateById(sb.id, { metadata: { tag, role: "c" }, timeoutSeconds: null }, h.conn);
    const info = await sb.getInfo();
    expect(info.metadata.role).toBe("c");
    expect(info.timeoutSeconds, "null clears timeout_seconds").toBeUndefined();
    await sb.kill();
  });

  it("isolates sandboxes from the host and from each other", async () => {
    const planted = `/root/superserve-planted-${Date.now()}`;
    writeFileSync(planted, "host secret");
    writeFileSync(join(h.dataDir, "planted.txt"), "data dir secret");
    process.env.SUPERSERVE_HOST_ONLY = "host-env";
    try {
      const a = await create();
      const b = await create();
      await a.commands.run("echo mine > /home/user/a-only.txt; (sleep 1001 &); true");
      const seen = await b.commands.run(
        `cat ${planted} 2>&1; ls ${h.dataDir} 2>&1; ls /work 2>&1; env; cat /proc/[0-9]*/cmdline | tr '\\0' ' '; cat /home/user/a-only.txt 2>&1; hostname; cat /etc/shadow 2>&1`,
      );
      expect(seen.stdout).not.toContain("host secret");
      expect(seen.stdout).not.toContain("planted.txt");
      expect(seen.stdout).not.toContain("SUPERSERVE_HOST_ONLY");
      expect(seen.stdout, "another sandbox's processes are invisible").not.toContain("sleep 1001");
      expect(seen.stdout).not.toContain("mine");
      expect(seen.stdout, "hostname is the sandbox id").toContain(b.id);
      expect(seen.stdout, "the image's own /etc/shadow, not the host's").not.toContain(
        readFileSync("/etc/shadow", "utf8").trim(),
      );
      await a.kill();
      await b.kill();
    } finally {
      rmSync(planted, { force: true });
      delete process.env.SUPERSERVE_HOST_ONLY;
    }
  });

  it("rejects bad input and unknown ids", async () => {
    await expect(
      Sandbox.create({ ...h.conn, name: uniqueName("x"), fromTemplate: "no-such-template" }),
    ).rejects.toBeInstanceOf(NotFoundError);
    await expect(
      create({ envVars: { "bad=key": "1" } }),
      "env names as the service takes them: no `=`",
    ).rejects.toThrow(/env_vars\["bad=key"\]/);
    await expect(Sandbox.connect("sbx-unknown", h.conn)).rejects.toBeInstanceOf(NotFoundError);
    await expect(Sandbox.list({ apiKey: "wrong", baseUrl: h.conn.baseUrl })).rejects.toBeInstanceOf(
      AuthenticationError,
    );
  });
});
