/**
 * scripts/main.sh's choice of runtime (PSM_RUNTIME): anything but `minimum` or `current` stops
 * every command at once, before any set-up, with a message naming the variable and both values.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(__dirname, "..", "..", "..");

describe("PSM_RUNTIME", () => {
  it.each(["up", "destroy"])("a value it does not know stops `%s` before the set-up", (command) => {
    const run = spawnSync("bash", [join(root, "scripts", "main.sh"), command], {
      env: { ...process.env, PSM_RUNTIME: "newest" },
      encoding: "utf8",
    });
    expect(run.status, run.stderr).toBe(2);
    expect(run.stderr).toContain(
      "PSM_RUNTIME is 'newest': set it to minimum (the default) or current",
    );
    expect(run.stderr, "nothing was set up").not.toMatch(/==> setting up/);
  });
});
