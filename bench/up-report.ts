/** The printed result of `npm run bench:up`: times, ratios against the targets, and timelines. */

/** When the backends saw each piece appear, ms after the run started. */
export interface Timeline {
  repoMs: number;
  templateMs: number;
  templateReadyMs: number;
  firstSandboxMs: number;
  lastSandboxMs: number;
  endMs: number;
  activeSandboxes: number;
}

/** One timed run. */
export interface Measurement {
  method: "script" | "pulumi" | "pulumi no-op" | "empty no-op";
  n: number;
  ms: number;
  timeline?: Timeline;
  note: string;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

const fmt = (ms: number) => (Number.isNaN(ms) ? "—" : `${(ms / 1000).toFixed(2)} s`);
const ratio = (r: number) => (Number.isNaN(r) ? "—" : `${r.toFixed(2)}×`);
const verdict = (r: number, limit: number) =>
  Number.isNaN(r) ? "not measured" : r <= limit ? "met" : "MISSED";

function row(cells: string[], widths: number[]): string {
  return cells.map((c, i) => c.padEnd(widths[i])).join("  ");
}

/** Print the tables: medians per size and method, the targets, and the median timelines. */
export function printReport(
  all: Measurement[],
  sizes: number[],
  parallelFor: (n: number) => number,
): void {
  const pick = (method: Measurement["method"], n?: number) =>
    all.filter((m) => m.method === method && (n === undefined || m.n === n));
  const up = new Map(sizes.map((n) => [n, median(pick("pulumi", n).map((m) => m.ms))]));
  const script = new Map(sizes.map((n) => [n, median(pick("script", n).map((m) => m.ms))]));

  console.log(
    "\n## pulumi up vs the plain-SDK script (median wall time, fresh stack / fresh names each run)",
  );
  const w1 = [5, 10, 12, 12, 8, 26];
  console.log(
    row(["N", "--parallel", "pulumi up", "script", "ratio", "runs (pulumi / script)"], w1),
  );
  for (const n of sizes) {
    const runs = `${pick("pulumi", n)
      .map((m) => (m.ms / 1000).toFixed(1))
      .join(", ")} / ${pick("script", n)
      .map((m) => (m.ms / 1000).toFixed(1))
      .join(", ")}`;
    console.log(
      row(
        [
          String(n),
          String(parallelFor(n)),
          fmt(up.get(n)!),
          fmt(script.get(n)!),
          ratio(up.get(n)! / script.get(n)!),
          runs,
        ],
        w1,
      ),
    );
  }

  const noops = pick("pulumi no-op");
  const empties = pick("empty no-op");
  if (noops.length > 0) {
    console.log(`\n## no-op pulumi up (median of ${noops.length})`);
    console.log(
      `  environment N=${noops[0].n}:      ${fmt(median(noops.map((m) => m.ms)))}   (${noops[0].note})`,
    );
    console.log(
      `  empty program:        ${fmt(median(empties.map((m) => m.ms)))}   (${empties[0]?.note ?? ""})`,
    );
  }

  const r10 = up.get(10)! / script.get(10)!;
  const r50 = up.get(50)! / up.get(10)!;
  const rNoop =
    noops.length > 0 && noops[0].n === 50
      ? median(noops.map((m) => m.ms)) / median(empties.map((m) => m.ms))
      : NaN;
  console.log("\n## targets");
  const w2 = [44, 8, 8, 12];
  console.log(row(["target", "limit", "ratio", "result"], w2));
  console.log(row(["pulumi up / script at N = 10", "1.3×", ratio(r10), verdict(r10, 1.3)], w2));
  console.log(row(["pulumi up N = 50 / pulumi up N = 10", "3×", ratio(r50), verdict(r50, 3)], w2));
  console.log(
    row(["no-op up N = 50 / empty program no-op up", "2×", ratio(rNoop), verdict(rNoop, 2)], w2),
  );
  if (noops.length > 0 && noops[0].n !== 50) {
    const r = median(noops.map((m) => m.ms)) / median(empties.map((m) => m.ms));
    console.log(`  (no-op measured at N = ${noops[0].n} instead: ${ratio(r)})`);
  }

  console.log(
    "\n## where the time goes: when the backends saw each piece, s after the start (median)",
  );
  console.log("(start-up = until the first backend call; sandboxes = 1st sandbox created → end)");
  const w3 = [8, 5, 7, 10, 15, 14, 13, 8, 10, 10];
  console.log(
    row(
      [
        "method",
        "N",
        "repo",
        "template",
        "template built",
        "1st sandbox",
        "last sandbox",
        "end",
        "start-up",
        "sandboxes",
      ],
      w3,
    ),
  );
  for (const n of sizes) {
    for (const method of ["script", "pulumi"] as const) {
      const lines = pick(method, n)
        .map((m) => m.timeline!)
        .filter(Boolean);
      if (lines.length === 0) continue;
      const m = (k: keyof Timeline) => fmt(median(lines.map((t) => t[k])));
      const startUp = fmt(median(lines.map((t) => Math.min(t.repoMs, t.templateMs))));
      const phase = fmt(median(lines.map((t) => t.endMs - t.firstSandboxMs)));
      console.log(
        row(
          [
            method,
            String(n),
            m("repoMs"),
            m("templateMs"),
            m("templateReadyMs"),
            m("firstSandboxMs"),
            m("lastSandboxMs"),
            m("endMs"),
            startUp,
            phase,
          ],
          w3,
        ),
      );
    }
  }
}
