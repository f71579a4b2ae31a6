/**
 * What the guide's scripts print after each step: one line, `step <name>: <what it did>`, on
 * stdout (what test/e2e/seed-guide.test.ts reads). A command that exited non-zero fails its
 * step: the script stops there with the command's output, exit code 1.
 */
import type { CommandResult } from "@superserve/sdk";

export function report(step: string, done: string | CommandResult): void {
  if (typeof done === "string") {
    console.log(`step ${step}: ${done}`);
    return;
  }
  const output = `${done.stdout.trim()}${done.stderr.trim() ? ` (stderr: ${done.stderr.trim()})` : ""}`;
  if (done.exitCode !== 0) {
    console.error(`step ${step} failed with exit code ${done.exitCode}: ${output}`);
    process.exit(1);
  }
  console.log(`step ${step}: exit 0: ${output}`);
}
