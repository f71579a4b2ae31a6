// Remove what a killed `pulumi` run of this project left behind, so the next run starts clean
// (README, "Killed runs"); scripts/main.sh runs it before its first engine run and after each one:
//   - the processes the killed run started (./killed-runs/engine-processes.mjs);
//   - a half-written file-backend state (./killed-runs/half-written-state.mjs);
//   - its stack lock, when its owner is provably gone (./killed-runs/stack-locks.mjs).
// With --before, a lock of the stack held by a run that is not provably gone stops this run before
// it changes anything, with one line naming that run and the command that clears its lock.
//
//   STACK=<stack> PULUMI_BACKEND_URL=<url> node scripts/clean-killed-runs.mjs [--before]
//   (in the project's root, with `pulumi` on PATH)
import { readFileSync } from "node:fs";
import { endOrphans } from "./killed-runs/engine-processes.mjs";
import { repairHalfWrittenState } from "./killed-runs/half-written-state.mjs";
import { clearStaleLocks } from "./killed-runs/stack-locks.mjs";

const root = process.cwd();
const url = process.env.PULUMI_BACKEND_URL ?? "";
const stack = process.env.STACK ?? "local";
const project = /^name:\s*(\S+)/m.exec(readFileSync("Pulumi.yaml", "utf8"))?.[1];
const before = process.argv.includes("--before");

try {
  await endOrphans(root);
  if (url.startsWith("file://"))
    for (const line of repairHalfWrittenState(url.slice("file://".length))) console.error(line);
  const { said, live } = clearStaleLocks({ url, stack, project });
  for (const line of said) console.error(line);
  if (before && live.length > 0) {
    console.error(
      `stack ${stack} is locked by another pulumi run (${live.join("; ")}); nothing was changed. ` +
        `Wait for it to end; if it was killed, clear its lock: pulumi cancel --yes --stack ${stack}`,
    );
    process.exit(3);
  }
} catch (error) {
  console.error(`cleaning up after a killed pulumi run failed: ${error.message}`);
  process.exit(1);
}
