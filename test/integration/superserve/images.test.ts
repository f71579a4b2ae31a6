/**
 * Templates on real images, through the unmodified SDK: package installs in build steps, a fresh
 * image without package lists, the built-in templates, nothing of the host's /usr, /usr/local or
 * /opt inside, the `mesa` CLI and its runtime in every sandbox, and the template shape's limits.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { BuildError, NotFoundError, Sandbox, Template, ValidationError } from "@superserve/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildMesaCli } from "../../../local/mesa-cli/bundle";
import { readyTemplate, startServer, uniqueName } from "./harness";

let h: Awaited<ReturnType<typeof startServer>>;
let tools: string;
const canaryDir = `/usr/local/share/psm-canary-${process.pid}`;
const optCanary = `/opt/psm-canary-${process.pid}`;

beforeAll(async () => {
  tools = `/tmp/psm-images-tools-${process.pid}`;
  mkdirSync(tools, { recursive: true });
  await buildMesaCli(tools);
  h = await startServer({ sandboxTools: tools });
});
afterAll(async () => {
  await h.cleanup();
  for (const d of [tools, canaryDir, optCanary]) rmSync(d, { recursive: true, force: true });
});

describe("templates on real Debian images", () => {
  it("installs a package with apt-get in a build step, and the package runs in the template's sandboxes", async () => {
    const t = await Template.create({
      ...h.conn,
      name: uniqueName("rg"),
      from: "debian:12",
      steps: [{ run: "apt-get update && apt-get install -y ripgrep" }],
    });
    const logs: string[] = [];
    await t.waitUntilReady({ pollIntervalMs: 100, onLog: (e) => logs.push(e.text) });
    expect(logs.join(""), "debian:12 is the image itself").toMatch(
      /from "debian:12": the local image debian-12/,
    );
    const sb = await Sandbox.create({ ...h.conn, name: uniqueName("sb"), fromTemplate: t.name });
    const rg = await sb.commands.run("rg --version");
    expect(rg.exitCode, rg.stderr).toBe(0);
    expect(rg.stdout).toMatch(/^ripgrep \d+/);
    await sb.kill();
  }, 300_000);

  it("builds the seed guide's custom template up to its installer step (ubuntu:24.04, emulated)", async () => {
    const t = await Template.create({
      ...h.conn,
      name: uniqueName("seed"),
      from: "ubuntu:24.04",
      steps: [
        {
          run: "apt-get update && apt-get install -y --no-install-recommends ca-certificates curl git && rm -rf /var/lib/apt/lists/*",
        },
      ],
    });
    await t.waitUntilReady({ pollIntervalMs: 100 });
    const sb = await Sandbox.create({ ...h.conn, name: uniqueName("seed"), fromTemplate: t.name });
    const r = await sb.commands.run(
      "curl --version | head -1 && git --version && ls /var/lib/apt/lists | grep -c Packages || true",
    );
    expect(r.stdout, "curl and git installed, package lists removed by the step").toMatch(
      /^curl [\d.]+[\s\S]*git version [\d.]+\n0\n$/,
    );
    await sb.kill();
  }, 300_000);

  it("runs pip install and npm install -g in build steps, and what they install works in the sandboxes", async () => {
    const t = await Template.create({
      ...h.conn,
      name: uniqueName("pkgs"),
      from: "python:3.12",
      steps: [{ run: "pip install six" }, { run: "npm install -g left-pad" }],
    });
    await t.waitUntilReady({ pollIntervalMs: 100 });
    const sb = await Sandbox.create({ ...h.conn, name: uniqueName("pkgs"), fromTemplate: t.name });
    const r = await sb.commands.run(
      `python3 -c 'import six; print("six", six.__version__)' && node -e 'console.log(require("/usr/local/lib/node_modules/left-pad")("7", 3, "0"))'`,
    );
    expect(r.stdout, r.stderr).toMatch(/^six [\d.]+\n007\n$/);
    await sb.kill();
  }, 300_000);

  it("has no package lists in a fresh image: apt-get install without update fails with apt's own message", async () => {
    const t = await Template.create({
      ...h.conn,
      name: uniqueName("noupd"),
      from: "ubuntu:24.04",
      steps: [{ run: "apt-get install -y ripgrep" }],
    });
    const logs: string[] = [];
    const err = await t
      .waitUntilReady({ pollIntervalMs: 100, onLog: (e) => logs.push(e.text) })
      .catch((e: unknown) => e);
    expect(err, "the build fails").toBeInstanceOf(BuildError);
    expect((err as BuildError).code).toBe("step_failed");
    expect((err as BuildError).message, "apt's error in the log tail").toMatch(
      /exited with code 100[\s\S]*Unable to locate package ripgrep/,
    );
    expect(logs.join(""), "an emulated reference says so in the build log").toMatch(
      /from "ubuntu:24.04": emulated by the local image debian-12/,
    );
  }, 120_000);

  it("lists superserve/base from the first start, boots it, and keeps it from being deleted or rebuilt", async () => {
    const listed = await Template.list(h.conn);
    const names = listed.map((t) => t.name);
    expect(names, "the built-in templates").toEqual(
      expect.arrayContaining(["superserve/base", "superserve/python-3.11", "superserve/node-22"]),
    );
    const base = listed.find((t) => t.name === "superserve/base")!;
    expect(base.status).toBe("ready");
    expect([base.vcpu, base.memoryMib, base.diskMib], "the documented default shape").toEqual([
      1, 1024, 4096,
    ]);
    const sb = await Sandbox.create({
      ...h.conn,
      name: uniqueName("base"),
      fromTemplate: "superserve/base",
    });
    const r = await sb.commands.run(
      "python3 --version && node --version && npm --version && git --version && curl --version | head -1 && gcc --version | head -1",
    );
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Python 3\.\d+[\s\S]*v\d+\.[\s\S]*git version[\s\S]*curl [\s\S]*gcc/);
    await sb.kill();
    await Template.deleteById(base.id, h.conn);
    expect(
      (await Template.list(h.conn)).map((t) => t.name),
      "a delete of a built-in template finds nothing to delete",
    ).toContain("superserve/base");
    await expect(
      (await Template.connect("superserve/base", h.conn)).rebuild(),
      "a rebuild of a built-in template",
    ).rejects.toBeInstanceOf(NotFoundError);
    await expect(
      Template.create({ ...h.conn, name: "superserve/mine", from: "debian:12" }),
      "the superserve/ prefix is reserved",
    ).rejects.toThrow(/reserved/);
  }, 120_000);

  it("shows nothing of the host's /usr, /usr/local or /opt, and provides the mesa CLI and its runtime read-only", async () => {
    mkdirSync(canaryDir, { recursive: true });
    writeFileSync(`${canaryDir}/canary.txt`, "host\n");
    mkdirSync(optCanary, { recursive: true });
    const t = await readyTemplate(h.conn);
    const sb = await Sandbox.create({ ...h.conn, name: uniqueName("iso"), fromTemplate: t.name });
    const seen = await sb.commands.run(
      `ls ${canaryDir} ${optCanary} 2>&1; ls /opt; test -e /usr/bin/node && echo host-node; . /etc/os-release; echo "$VERSION_CODENAME"`,
    );
    expect(seen.stdout, "host canaries invisible").toMatch(
      /No such file or directory[\s\S]*No such file or directory/,
    );
    expect(seen.stdout).not.toContain("canary.txt");
    expect(seen.stdout, "only the local tools under /opt").toMatch(/^superserve-local$/m);
    expect(seen.stdout, "no host Node.js in a Debian image").not.toContain("host-node");
    expect(seen.stdout.trim().split("\n").at(-1), "the image's own /usr and /etc").toBe("bookworm");
    const mesa = await sb.commands.run(
      "mesa --help | head -1; /opt/superserve-local/runtime/node -e 'console.log(process.version)'; touch /opt/superserve-local/runtime/x 2>&1",
    );
    expect(mesa.stdout, "mesa runs on the provided Node.js").toMatch(
      /^Mesa: [\s\S]*\nv\d+\.\d+\.\d+\n/,
    );
    expect(mesa.stdout, "the runtime is read-only").toMatch(/Read-only file system/);
    await sb.kill();
  }, 60_000);
});

describe("the template shape's limits", () => {
  it("refuses vcpu, memoryMib and diskMib outside the documented ranges with the service's error", async () => {
    const create = (shape: { vcpu?: number; memoryMib?: number; diskMib?: number }) =>
      Template.create({ ...h.conn, name: uniqueName("shape"), from: "debian:12", ...shape }).catch(
        (e: unknown) => e,
      );
    for (const [shape, message] of [
      [{ vcpu: 5 }, "vcpu must be 1-4"],
      [{ vcpu: 0 }, "vcpu must be 1-4"],
      [{ memoryMib: 128 }, "memory_mib must be 256-4096"],
      [{ memoryMib: 8192 }, "memory_mib must be 256-4096"],
      [{ diskMib: 512 }, "disk_mib must be 1024-8192"],
      [{ diskMib: 9000 }, "disk_mib must be 1024-8192"],
    ] as const) {
      const err = await create(shape);
      expect(err, JSON.stringify(shape)).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).message).toBe(message);
    }
    const edge = await Template.create({
      ...h.conn,
      name: uniqueName("edge"),
      from: "debian:12",
      vcpu: 4,
      memoryMib: 4096,
      diskMib: 8192,
    });
    expect([edge.vcpu, edge.memoryMib, edge.diskMib]).toEqual([4, 4096, 8192]);
  });

  it("OOM-kills a process past a 256 MiB limit and the sandbox still answers; CPU is held to the quota", async () => {
    const t = await Template.create({
      ...h.conn,
      name: uniqueName("small"),
      from: "python:3.12",
      memoryMib: 256,
      vcpu: 1,
    });
    await t.waitUntilReady({ pollIntervalMs: 100 });
    const sb = await Sandbox.create({ ...h.conn, name: uniqueName("small"), fromTemplate: t.name });
    const hog = await sb.commands.run(
      "python3 -c 'b = bytearray(600 * 1024 * 1024); print(len(b))'",
    );
    expect(hog.stdout, "600 MB never fit").not.toContain(String(600 * 1024 * 1024));
    expect(hog.exitCode, "killed by the OOM killer (SIGKILL)").toBe(137);
    expect((await sb.commands.run("echo alive")).stdout, "the sandbox still answers").toBe(
      "alive\n",
    );
    const small = await sb.commands.run(
      "python3 -c 'b = bytearray(100 * 1024 * 1024); print(len(b))'",
    );
    expect(small.stdout.trim(), "100 MB fits under 256 MiB").toBe(String(100 * 1024 * 1024));
    const burn = [
      "import os, resource, time",
      "pids = []",
      "for _ in range(2):",
      "    pid = os.fork()",
      "    if pid == 0:",
      "        end = time.time() + 2",
      "        while time.time() < end: pass",
      "        os._exit(0)",
      "    pids.append(pid)",
      "for p in pids: os.waitpid(p, 0)",
      "u = resource.getrusage(resource.RUSAGE_CHILDREN)",
      "print(u.ru_utime + u.ru_stime)",
    ].join("\n");
    await sb.files.write("/tmp/burn.py", new TextEncoder().encode(burn));
    const cpu = Number((await sb.commands.run("python3 /tmp/burn.py")).stdout.trim());
    expect(cpu, "two busy processes for 2 s on 1 vCPU use at most ~2 s of CPU").toBeLessThan(2.6);
    await sb.kill();
  }, 120_000);
});
