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
  method: "script" | "tuned script" | "pulumi" | "pulumi no-op" | "empty no-op";
  n: number;
  ms: number;
  /**
   * The machine's 1-minute load average when the run started and when it ended (other work shares
   * the cores; at N = 50 the run's own sandboxes and mount daemons raise it too).
   */
  load: [number, number];
  timeline?: Timeline;
  note: string;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

const fmt = (ms: number) => (Number.isNaN(ms) ? "—" : `${(ms / 1000).toFixed(2)} s`);
const ratio = (r: number) => (Number.isNaN(r) ? "—" : `${r.toFixed(2)}×`);
const verdict = (r: number, limit: number) =>
  Number.isNaN(r) ? "not measured" : r <= limit ? "met" : "MISSED";

/** "1.2–3.4": the range of the load averages of `runs` when they started. */
function loads(runs: Measurement[]): string {
  const xs = runs.map((m) => m.load[0]);
  return xs.length === 0 ? "—" : `${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)}`;
}

function row(cells: string[], widths: number[]): string {
  return cells.map((c, i) => c.padEnd(widths[i])).join("  ");
}

/**
 * The targets of issues #15 and #24: pulumi against the tuned script (the critical path), no-op
 * against empty, and pulumi's first backend call (the engine's fixed start-up) in seconds.
 */
const TARGETS = { tunedN10: 1.5, tunedN50: 1.3, noop: 2, firstCallSeconds: 2 };

/** Print the tables: medians per size and method, the targets, and the median timelines. */
export function printReport(
  all: Measurement[],
  sizes: number[],
  parallelFor: (n: number) => number,
): void {
  const pick = (method: Measurement["method"], n?: number) =>
    all.filter((m) => m.method === method && (n === undefined || m.n === n));
  const medianOf = (method: Measurement["method"]) =>
    new Map(sizes.map((n) => [n, median(pick(method, n).map((m) => m.ms))]));
  const up = medianOf("pulumi");
  const script = medianOf("script");
  const tuned = medianOf("tuned script");
  const times = (method: Measurement["method"], n: number) =>
    pick(method, n)
      .map((m) => (m.ms / 1000).toFixed(1))
      .join(", ");

  console.log(
    "\n## pulumi up vs the plain-SDK scripts (median wall time, fresh stack / fresh names each run)",
  );
  console.log(
    "(script: the template awaited with the SDK's default 2 s poll, as the seed does; tuned: polled every 250 ms, as the provider)",
  );
  const w1 = [4, 10, 10, 10, 7, 10, 7, 13, 34];
  console.log(
    row(
      [
        "N",
        "--parallel",
        "pulumi up",
        "script",
        "ratio",
        "tuned",
        "ratio",
        "load at start",
        "runs (pulumi / script / tuned)",
      ],
      w1,
    ),
  );
  for (const n of sizes) {
    console.log(
      row(
        [
          String(n),
          String(parallelFor(n)),
          fmt(up.get(n)!),
          fmt(script.get(n)!),
          ratio(up.get(n)! / script.get(n)!),
          fmt(tuned.get(n)!),
          ratio(up.get(n)! / tuned.get(n)!),
          loads(all.filter((m) => m.n === n && m.timeline)),
          `${times("pulumi", n)} / ${times("script", n)} / ${times("tuned script", n)}`,
        ],
        w1,
      ),
    );
  }

  const noops = pick("pulumi no-op");
  const empties = pick("empty no-op");
  if (noops.length > 0) {
    console.log(
      `\n## no-op pulumi up (median of ${noops.length}; load at start ${loads([...noops, ...empties])})`,
    );
    console.log(
      `  environment N=${noops[0].n}:      ${fmt(median(noops.map((m) => m.ms)))}   (${noops[0].note}; runs ${noops.map((m) => (m.ms / 1000).toFixed(2)).join(", ")})`,
    );
    console.log(
      `  empty program:        ${fmt(median(empties.map((m) => m.ms)))}   (${empties[0]?.note ?? ""}; runs ${empties.map((m) => (m.ms / 1000).toFixed(2)).join(", ")})`,
    );
  }

  const vsTuned = (n: number) => (up.get(n) ?? NaN) / (tuned.get(n) ?? NaN);
  const noopN = noops[0]?.n;
  const rNoop = median(noops.map((m) => m.ms)) / median(empties.map((m) => m.ms));
  console.log("\n## targets");
  const w2 = [44, 8, 8, 12];
  console.log(row(["target", "limit", "ratio", "result"], w2));
  for (const [n, limit] of [
    [10, TARGETS.tunedN10],
    [50, TARGETS.tunedN50],
  ] as const) {
    console.log(
      row(
        [
          `pulumi up / tuned script at N = ${n}`,
          `${limit}×`,
          ratio(vsTuned(n)),
          verdict(vsTuned(n), limit),
        ],
        w2,
      ),
    );
  }
  console.log(
    row(
      [
        "no-op up N = 50 / empty program no-op up",
        `${TARGETS.noop}×`,
        ratio(noopN === 50 ? rNoop : NaN),
        verdict(noopN === 50 ? rNoop : NaN, TARGETS.noop),
      ],
      w2,
    ),
  );
  if (noopN !== undefined && noopN !== 50)
    console.log(`  (no-op measured at N = ${noopN} instead: ${ratio(rNoop)})`);
  const firstCall = median(
    pick("pulumi")
      .map((m) => m.timeline)
      .filter((t): t is Timeline => t !== undefined)
      .map((t) => Math.min(t.repoMs, t.templateMs)),
  );
  console.log(
    row(
      [
        "pulumi's first backend call after the start",
        `${TARGETS.firstCallSeconds} s`,
        fmt(firstCall),
        verdict(firstCall / 1000, TARGETS.firstCallSeconds),
      ],
      w2,
    ),
  );

  console.log(
    "\n## where the time goes: when the backends saw each piece, s after the start (median)",
  );
  console.log("(start-up = until the first backend call; sandboxes = 1st sandbox created → end)");
  const w3 = [12, 5, 7, 10, 15, 14, 13, 8, 10, 10];
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
    for (const method of ["script", "tuned script", "pulumi"] as const) {
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
