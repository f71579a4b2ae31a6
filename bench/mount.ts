/**
 * `npm run bench:mount`: how fast the in-sandbox `mesa` command mounts and persists.
 * - mount ready: from starting `mesa mount -d` to the first file of the repo being readable;
 * - edit visible: from a write inside the mount to the new content being served by content.get.
 * Measured with 100 and 10,000 files, against local Mesa on this machine; prints median and p95.
 * First on the host (the same bundled file a sandbox runs), then, at 100 files, inside local
 * Superserve sandboxes through `commands.run` (BENCH_MOUNT_SANDBOX=0 skips that; it needs root and
 * bubblewrap). BENCH_MOUNT_SIZES changes the sizes (comma-separated), BENCH_MOUNT_ROUNDS the number
 * of mounts per size, BENCH_MOUNT_EDITS the number of edits timed.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildMesaCli } from "../local/mesa-cli/bundle";
import { startLocalMesa } from "../local/mesa";
import { startLocalSuperserve } from "../local/superserve";
import { routeDataPlaneTo } from "../provider/data-plane";

interface Figures {
  label?: string;
  files: number;
  mountMs: number[];
  editMs: number[];
}

async function main(): Promise<void> {
  const sizes = (process.env.BENCH_MOUNT_SIZES ?? "100,10000").split(",").map(Number);
  const rounds = Number(process.env.BENCH_MOUNT_ROUNDS ?? 5);
  const edits = Number(process.env.BENCH_MOUNT_EDITS ?? 20);
  const work = fs.mkdtempSync(join(tmpdir(), "bench-mount-"));
  const server = await startLocalMesa({ port: 0 });
  const { Mesa } = await import("@mesadev/sdk");
  const mesa = new Mesa({ apiKey: server.apiKey, apiUrl: server.url, org: server.org });
  const tools = join(work, "tools");
  fs.mkdirSync(tools);
  const bin = await buildMesaCli(tools);
  const results: Figures[] = [];
  try {
    for (const size of sizes) {
      const repo = `bench-${size}-${Date.now().toString(36)}`;
      await mesa.repos.create({ name: repo, default_bookmark: "main" });
      let base = "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz";
      for (let start = 0; start < size; start += 1000) {
        const files = Array.from({ length: Math.min(1000, size - start) }, (_, k) => {
          const i = start + k;
          return {
            path: `d${Math.floor(i / 100)}/f${i}.txt`,
            content: Buffer.from(`file ${i}\n`).toString("base64"),
            encoding: "base64" as const,
          };
        });
        const change = await mesa.changes.create({
          repo,
          base_change_id: base,
          message: "seed",
          author: { name: "bench", email: "bench@local" },
          files,
        });
        base = change.id;
      }
      await mesa.bookmarks.move({ repo, bookmark: "main", change_id: base });
      const token = (
        await mesa.tokens.create({
          scopes: ["read", "write"],
          repos: [`${server.org}/${repo}`],
          ttl_seconds: 3600,
        })
      ).token;
      const figures: Figures = { files: size, mountMs: [], editMs: [] };
      const roundsHere = size > 1000 ? Math.max(1, Math.ceil(rounds / 2)) : rounds;
      for (let round = 0; round < roundsHere; round++) {
        const home = join(work, `home-${size}-${round}`);
        const env = {
          PATH: process.env.PATH,
          HOME: home,
          MESA_ORG: server.org,
          MESA_API_KEY: token,
          MESA_API_URL: server.url,
        };
        const root = join(home, ".local/share/mesa/mnt", server.org, repo);
        const started = performance.now();
        const code = await run(bin, ["mount", "-d", "-y"], env);
        if (code !== 0)
          throw new Error(
            `mesa mount -d exited ${code}; see ${home}/.local/state/mesa/run/daemon.log`,
          );
        fs.readFileSync(join(root, "d0/f0.txt"));
        figures.mountMs.push(performance.now() - started);
        if (round === roundsHere - 1) {
          for (let e = 0; e < edits; e++) {
            const text = `edit ${e} ${Date.now()}\n`;
            const path = `d0/f${e % Math.min(size, 100)}.txt`;
            const t0 = performance.now();
            fs.writeFileSync(join(root, path), text);
            for (;;) {
              const tip = await mesa.bookmarks.get({ repo, bookmark: "main" });
              const got = (await mesa.content.get({ repo, path, change_id: tip.change_id })) as {
                content: string;
              };
              if (Buffer.from(got.content, "base64").toString() === text) break;
              await new Promise((r) => setTimeout(r, 10));
            }
            figures.editMs.push(performance.now() - t0);
          }
        }
        const pid = Number(fs.readFileSync(join(home, ".local/state/mesa/run/mesa.pid"), "utf8"));
        process.kill(pid, "SIGTERM");
        while (alive(pid)) await new Promise((r) => setTimeout(r, 20));
      }
      results.push(figures);
      report(figures);
    }
    if (process.env.BENCH_MOUNT_SANDBOX !== "0" && sizes.includes(100)) {
      const figures = await benchInSandboxes(mesa, server, tools, rounds, edits);
      results.push(figures);
      report(figures);
    }
  } finally {
    await server.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
  const small = results.filter((r) => r.files === 100);
  if (small.length > 0) {
    console.log(
      `target mount ready < 1000 ms at 100 files: ${small.every((r) => percentile(r.mountMs, 50) < 1000) ? "met" : "MISSED"}`,
    );
    console.log(
      `target edit visible < 2000 ms: ${results.every((r) => percentile(r.editMs, 95) < 2000) ? "met" : "MISSED"}`,
    );
  }
}

type MesaClient = InstanceType<Awaited<typeof import("@mesadev/sdk")>["Mesa"]>;

/** 100 files, mounted inside fresh local Superserve sandboxes: `mesa mount -d && cat` and `echo >` through commands.run. */
async function benchInSandboxes(
  mesa: MesaClient,
  server: Awaited<ReturnType<typeof startLocalMesa>>,
  tools: string,
  rounds: number,
  edits: number,
): Promise<Figures> {
  const { Sandbox, Template } = await import("@superserve/sdk");
  const ss = await startLocalSuperserve({ port: 0, sandboxTools: tools, mesaUrl: server.url });
  routeDataPlaneTo(ss.url);
  const conn = { apiKey: ss.apiKey, baseUrl: ss.url };
  const figures: Figures = { label: "in sandboxes", files: 100, mountMs: [], editMs: [] };
  try {
    const repo = `bench-sbx-${Date.now().toString(36)}`;
    await mesa.repos.create({ name: repo, default_bookmark: "main" });
    const files = Array.from({ length: 100 }, (_, i) => ({
      path: `d${Math.floor(i / 10)}/f${i}.txt`,
      content: Buffer.from(`file ${i}\n`).toString("base64"),
      encoding: "base64" as const,
    }));
    const change = await mesa.changes.create({
      repo,
      base_change_id: "z".repeat(32),
      message: "seed",
      author: { name: "bench", email: "bench@local" },
      files,
    });
    await mesa.bookmarks.move({ repo, bookmark: "main", change_id: change.id });
    const token = (
      await mesa.tokens.create({
        scopes: ["read", "write"],
        repos: [`${server.org}/${repo}`],
        ttl_seconds: 3600,
      })
    ).token;
    const template = await Template.create({
      ...conn,
      name: `bench-mount-${Date.now().toString(36)}`,
      from: "debian:12",
      steps: [{ run: "true" }],
    });
    await template.waitUntilReady({ pollIntervalMs: 50 });
    const dir = `/home/user/.local/share/mesa/mnt/${server.org}/${repo}`;
    // As on the service: the CLI's default API host reaches the local Mesa through the egress layer.
    const env = { MESA_ORG: server.org, MESA_API_KEY: token };
    for (let round = 0; round < rounds; round++) {
      const sb = await Sandbox.create({
        ...conn,
        name: `bench-mount-${round}-${Date.now().toString(36)}`,
        fromTemplate: template.name,
      });
      await sb.commands.run("true");
      const started = performance.now();
      const mounted = await sb.commands.run(`mesa mount -d -y && cat ${dir}/d0/f0.txt`, {
        env,
        timeoutMs: 60_000,
      });
      if (mounted.exitCode !== 0)
        throw new Error(`mesa mount -d in a sandbox exited ${mounted.exitCode}: ${mounted.stderr}`);
      figures.mountMs.push(performance.now() - started);
      if (round === rounds - 1) {
        for (let e = 0; e < edits; e++) {
          const text = `sandbox edit ${e} ${Date.now()}`;
          const path = `d0/f${e % 10}.txt`;
          const t0 = performance.now();
          await sb.commands.run(`echo '${text}' > ${dir}/${path}`);
          for (;;) {
            const tip = await mesa.bookmarks.get({ repo, bookmark: "main" });
            const got = (await mesa.content.get({ repo, path, change_id: tip.change_id })) as {
              content: string;
            };
            if (Buffer.from(got.content, "base64").toString() === `${text}\n`) break;
            await new Promise((r) => setTimeout(r, 10));
          }
          figures.editMs.push(performance.now() - t0);
        }
      }
      await sb.kill();
    }
  } finally {
    await ss.stop();
  }
  return figures;
}

function report(f: Figures): void {
  const fmt = (xs: number[]) =>
    `median ${percentile(xs, 50).toFixed(0)} ms, p95 ${percentile(xs, 95).toFixed(0)} ms (n=${xs.length})`;
  console.log(
    `${f.files} files${f.label ? ` (${f.label})` : ""}: mount ready ${fmt(f.mountMs)}; edit visible ${fmt(f.editMs)}`,
  );
}

function percentile(xs: number[], p: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

function run(bin: string, args: string[], env: NodeJS.ProcessEnv): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { env, stdio: "ignore" });
    child.on("close", resolve);
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
