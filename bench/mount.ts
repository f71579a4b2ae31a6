/**
 * `npm run bench:mount`: how fast the in-sandbox `mesa` command mounts and persists.
 * - mount ready: from starting `mesa mount -d` to the first file of the repo being readable;
 * - edit visible: from a write inside the mount to the new content being served by content.get.
 * Measured with 100 and 10,000 files, against local Mesa on this machine; prints median and p95.
 * The daemon runs on the host (the same bundled file a sandbox runs); set BENCH_MOUNT_SIZES to
 * change the sizes (comma-separated) and BENCH_MOUNT_ROUNDS for the number of mounts per size.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildMesaCli } from "../local/mesa-cli/bundle";
import { startLocalMesa } from "../local/mesa";

interface Figures {
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
  const bin = await buildMesaCli(work);
  const results: Figures[] = [];
  try {
    for (const size of sizes) {
      const repo = `bench-${size}-${Date.now().toString(36)}`;
      await mesa.repos.create({ name: repo, default_bookmark: "main" });
      let base = "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz";
      for (let start = 0; start < size; start += 1000) {
        const files = Array.from({ length: Math.min(1000, size - start) }, (_, k) => {
          const i = start + k;
          return { path: `d${Math.floor(i / 100)}/f${i}.txt`, content: Buffer.from(`file ${i}\n`).toString("base64"), encoding: "base64" as const };
        });
        const change = await mesa.changes.create({ repo, base_change_id: base, message: "seed", author: { name: "bench", email: "bench@local" }, files });
        base = change.id;
      }
      await mesa.bookmarks.move({ repo, bookmark: "main", change_id: base });
      const token = (await mesa.tokens.create({ scopes: ["read", "write"], repos: [`${server.org}/${repo}`], ttl_seconds: 3600 })).token;
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
        if (code !== 0) throw new Error(`mesa mount -d exited ${code}; see ${home}/.local/state/mesa/run/daemon.log`);
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
              const got = (await mesa.content.get({ repo, path, change_id: tip.change_id })) as { content: string };
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
  } finally {
    await server.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
  const small = results.find((r) => r.files === 100);
  if (small) {
    console.log(`target mount ready < 1000 ms at 100 files: ${percentile(small.mountMs, 50) < 1000 ? "met" : "MISSED"}`);
    console.log(`target edit visible < 2000 ms: ${results.every((r) => percentile(r.editMs, 95) < 2000) ? "met" : "MISSED"}`);
  }
}

function report(f: Figures): void {
  const fmt = (xs: number[]) => `median ${percentile(xs, 50).toFixed(0)} ms, p95 ${percentile(xs, 95).toFixed(0)} ms (n=${xs.length})`;
  console.log(`${f.files} files: mount ready ${fmt(f.mountMs)}; edit visible ${fmt(f.editMs)}`);
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
