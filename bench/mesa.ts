import { performance } from "node:perf_hooks";
import { startLocalMesa, VIRTUAL_ROOT_CHANGE_ID } from "../local/mesa";

/** Median and p95 of `n` timed runs of `fn` (after `warmup` untimed runs), in ms. */
async function measure(n: number, fn: (i: number) => Promise<unknown>, warmup = 5) {
  for (let i = 0; i < warmup; i++) await fn(-1 - i);
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn(i);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.ceil(q * times.length) - 1)];
  return { median: at(0.5), p95: at(0.95), n };
}

async function main() {
  const mesa = await startLocalMesa({ port: 0 });
  try {
    const { Mesa } = await import("@mesadev/sdk");
    const client = new Mesa({ apiKey: mesa.apiKey, apiUrl: mesa.url, org: mesa.org });
    const repo = "bench";
    await client.repos.create({ name: repo });
    const author = { name: "Bench", email: "bench@example.com" };
    const mib = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < mib.length; i++) mib[i] = (i * 7919) & 0xff;
    const big = await client.changes.create({
      repo,
      base_change_id: VIRTUAL_ROOT_CHANGE_ID,
      message: "1 MiB",
      author,
      files: [{ path: "big.bin", content: mib.toString("base64") }],
    });

    const results = {
      "repos.get": await measure(200, () => client.repos.get({ repo })),
      "changes.create (10 files)": await measure(100, (i) =>
        client.changes.create({
          repo,
          base_change_id: big.id,
          message: `bench ${i}`,
          author,
          files: Array.from({ length: 10 }, (_, f) => ({
            path: `src/f${f}.txt`,
            content: Buffer.from(`run ${i} file ${f}\n`.repeat(20)).toString("base64"),
          })),
        }),
      ),
      "content.get (1 MiB file)": await measure(100, () =>
        client.content.get({ repo, change_id: big.id, path: "big.bin" }),
      ),
    };
    console.log(`local Mesa on ${mesa.origin} (node ${process.version}, git CLI, SQLite)`);
    console.log("operation                    runs   median ms   p95 ms");
    for (const [name, r] of Object.entries(results)) {
      console.log(
        `${name.padEnd(28)} ${String(r.n).padStart(4)} ${r.median.toFixed(2).padStart(11)} ${r.p95.toFixed(2).padStart(8)}`,
      );
    }
  } finally {
    await mesa.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
