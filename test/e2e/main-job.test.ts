/**
 * The main job, as a newcomer runs it: the README's `npm run up` in a fresh copy of the project,
 * its outputs and proof, a second run with no changes, the drift demo, convergence, destroy, and
 * nothing left running or orphaned in the local backends.
 */
import { execFileSync, spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pulumiPath, repoRoot } from "../helpers/pulumi";
import type { LocalEndpoints } from "../../provider/local-endpoints";

interface Run {
  code: number | null;
  output: string;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe("the main job (npm run up on the local stack)", () => {
  let clone: string;
  let localDir: string;
  let env: NodeJS.ProcessEnv;

  function npm(args: string[], timeoutMs = 900_000): Promise<Run> {
    return new Promise((resolve) => {
      const child = spawn("npm", args, { cwd: clone, env, stdio: ["ignore", "pipe", "pipe"] });
      let output = "";
      child.stdout.on("data", (d: Buffer) => (output += d.toString()));
      child.stderr.on("data", (d: Buffer) => (output += d.toString()));
      const timer = setTimeout(() => child.kill("SIGTERM"), timeoutMs);
      child.on("close", (code) => {
        clearTimeout(timer);
        resolve({ code, output });
      });
    });
  }

  function stackOutputs(): { repo: { org: string; name: string }; sandboxes: { name: string; sandboxId: string; bookmark: string; mountPath: string }[] } {
    const out = execFileSync(pulumiPath(), ["stack", "output", "--json", "--stack", "local"], {
      cwd: clone,
      env: {
        ...env,
        PULUMI_BACKEND_URL: `file://${join(clone, ".pulumi-state")}`,
        PULUMI_CONFIG_PASSPHRASE: "local-stack",
      },
      encoding: "utf8",
    });
    return JSON.parse(out);
  }

  const endpoints = (): LocalEndpoints => JSON.parse(readFileSync(join(localDir, "endpoints.json"), "utf8"));

  beforeAll(async () => {
    const root = mkdtempSync(join(tmpdir(), "psm-main-job-"));
    clone = join(root, "project");
    localDir = join(root, "local-data");
    mkdirSync(clone);
    // A fresh copy of the project as committed or about to be (tracked + untracked, not ignored),
    // with the already-installed node_modules hard-linked in (npm install is not what is tested).
    const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: repoRoot })
      .toString()
      .split("\0")
      .filter(Boolean);
    for (const file of files) {
      mkdirSync(dirname(join(clone, file)), { recursive: true });
      try {
        cpSync(join(repoRoot, file), join(clone, file));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error; // deleted, not yet committed
      }
    }
    execFileSync("cp", ["-al", join(repoRoot, "node_modules"), join(clone, "node_modules")]);
    env = {
      ...process.env,
      PSM_LOCAL_DIR: localDir,
      PSM_MESA_PORT: String(await freePort()),
      PSM_SUPERSERVE_PORT: String(await freePort()),
      STACK: "local",
    };
    for (const key of ["PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE", "MESA_API_KEY", "SUPERSERVE_API_KEY", "MESA_API_URL", "SUPERSERVE_BASE_URL"]) {
      delete env[key];
    }
  });

  afterAll(async () => {
    if (!clone) return;
    await npm(["run", "local", "--", "stop"], 120_000);
    rmSync(dirname(clone), { recursive: true, force: true });
  });

  it("builds the environment and proves an edit in a sandbox's mount reaches Mesa", async () => {
    const run = await npm(["run", "up"]);
    expect(run.code, run.output.slice(-4000)).toBe(0);
    expect(run.output).toMatch(/proof: wrote .*agent-environment-proof in sandbox .* read it back from Mesa/);
    const outputs = stackOutputs();
    expect(outputs.sandboxes).toHaveLength(2);
    for (const sandbox of outputs.sandboxes) {
      expect(sandbox.mountPath).toBe(`/home/user/.local/share/mesa/mnt/${outputs.repo.org}/${outputs.repo.name}`);
      expect(sandbox.bookmark, "each sandbox works on its own bookmark").not.toBe("main");
    }
    expect(new Set(outputs.sandboxes.map((s) => s.bookmark)).size).toBe(2);
  });

  it("reports no changes when run again", async () => {
    const run = await npm(["run", "up"]);
    expect(run.code, run.output.slice(-4000)).toBe(0);
    const summary = run.output.slice(run.output.lastIndexOf("Resources:"));
    expect(summary, run.output.slice(-4000)).toMatch(/\d+ unchanged/);
    expect(summary).not.toMatch(/created|updated|replaced|deleted/);
  });

  it("converges after the local backends restart: sandboxes resumed and remounted, proof again", async () => {
    const stop = await npm(["run", "local", "--", "stop"], 120_000);
    expect(stop.code, stop.output).toBe(0);
    const run = await npm(["run", "up"]);
    expect(run.code, run.output.slice(-4000)).toBe(0);
    expect(run.output, "the restart left the sandboxes paused without processes").toMatch(/resumed 2 of 2 sandboxes/);
    expect(run.output).toMatch(/repos remounted/);
    expect(run.output).toMatch(/proof: wrote .* read it back from Mesa/);
  });

  it("shows out-of-band changes in the drift demo, and converges on the next up", async () => {
    const demo = await npm(["run", "drift:demo"]);
    expect(demo.code, demo.output.slice(-4000)).toBe(0);
    const preview = demo.output.slice(demo.output.indexOf("pulumi preview --refresh"));
    expect(preview, "the paused sandbox shows as drift on its status").toMatch(/status/);
    expect(preview, "the repo's edited tags show as drift").toMatch(/edited-by/);
    expect(preview, "the killed sandbox is recreated").toMatch(/\+ 1 to create/);

    const converge = await npm(["run", "up"]);
    expect(converge.code, converge.output.slice(-4000)).toBe(0);
    const after = await npm(["run", "drift"]);
    expect(after.code, after.output.slice(-4000)).toBe(0);
    expect(after.output.slice(after.output.lastIndexOf("Resources:"))).not.toMatch(/to create|to update|to replace|to delete/);
  });

  it("destroys everything and leaves nothing running or orphaned", async () => {
    const run = await npm(["run", "destroy"]);
    expect(run.code, run.output.slice(-4000)).toBe(0);

    const { mesa, superserve } = endpoints();
    const headers = { "X-API-Key": superserve.apiKey };
    const sandboxes = (await (await fetch(`${superserve.url}/sandboxes`, { headers })).json()) as unknown[];
    const templates = (await (await fetch(`${superserve.url}/templates`, { headers })).json()) as unknown[];
    const repos = (await (await fetch(`${mesa.url}/${mesa.org}/repos`, { headers: { Authorization: `Bearer ${mesa.apiKey}` } })).json()) as {
      repos: unknown[];
    };
    expect(sandboxes, "no sandbox left").toEqual([]);
    expect(templates, "no template left").toEqual([]);
    expect(repos.repos, "the local stack's repo is not protected, so destroy deletes it").toEqual([]);

    const pid = endpoints().pid;
    const stop = await npm(["run", "local", "--", "stop"], 120_000);
    expect(stop.code, stop.output).toBe(0);
    expect(() => process.kill(pid, 0), "the local backends' process has exited").toThrow();
    const leftovers = execFileSync("ps", ["-eo", "args"], { encoding: "utf8" })
      .split("\n")
      .filter((line) => line.includes(localDir));
    expect(leftovers, "no process still uses the local data dir").toEqual([]);
  });
});
