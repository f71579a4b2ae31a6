// The processes a killed `pulumi` run of this project left running on this machine: language host,
// program and provider plugins, each in a process group of its own, so a kill of the CLI (or of
// the CLI's process group, as a CI runner does) leaves them behind.
//
// scripts/main.sh runs `pulumi` with PSM_ENGINE_RUN=<project root>#<pid of that pulumi CLI> in its
// environment, which every process the CLI starts inherits. A process carrying this project's
// marker whose CLI is no longer running belongs to a killed run: nothing will ever talk to it
// again, and a provider still finishing a create would race the next run's adoption of the same
// object, so it is ended (SIGKILL) and waited for. Processes of a running CLI, of other projects
// and processes without the marker are never touched.
import { readdirSync, readFileSync } from "node:fs";

/** The environment variable that marks the processes of an engine run (see scripts/main.sh). */
const MARKER = "PSM_ENGINE_RUN";
const EXIT_DEADLINE_MS = 10_000;

/** `/proc/<pid>/<file>`, or undefined when the process is gone or not ours to read. */
export function procFile(pid, file) {
  try {
    return readFileSync(`/proc/${pid}/${file}`, "utf8");
  } catch {
    return undefined;
  }
}

/** Running (not exited, not a zombie waiting for its parent). */
export function running(pid) {
  const stat = procFile(pid, "stat");
  return (
    stat !== undefined && stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z"
  );
}

/** Processes of this project's engine runs whose CLI is gone. */
function orphans(root) {
  const prefix = `${MARKER}=${root}#`;
  const markerOf = (pid) =>
    procFile(pid, "environ")
      ?.split("\0")
      .find((entry) => entry.startsWith(prefix));
  const found = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const marker = markerOf(entry);
    if (!marker) continue;
    const cli = marker.slice(prefix.length);
    if (markerOf(cli) === marker && running(cli)) continue;
    found.push({
      pid: Number(entry),
      command: (procFile(entry, "cmdline") ?? "").split("\0").filter(Boolean).join(" "),
    });
  }
  return found;
}

/** End (SIGKILL) the processes of `root`'s killed engine runs and wait until they are gone. */
export async function endOrphans(root) {
  const found = orphans(root);
  if (found.length === 0) return;
  console.error(`ending ${found.length} process(es) left by a killed pulumi run:`);
  for (const { pid, command } of found) {
    console.error(`  ${pid} ${command.slice(0, 160)}`);
    try {
      process.kill(pid, "SIGKILL");
    } catch (error) {
      if (error.code !== "ESRCH") throw error;
    }
  }
  const deadline = Date.now() + EXIT_DEADLINE_MS;
  let left = found.filter(({ pid }) => running(pid));
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    left = left.filter(({ pid }) => running(pid));
  }
  if (left.length > 0) {
    throw new Error(
      `processes ${left.map(({ pid }) => pid).join(", ")} of a killed pulumi run did not exit after SIGKILL within ${EXIT_DEADLINE_MS / 1000} s`,
    );
  }
}
