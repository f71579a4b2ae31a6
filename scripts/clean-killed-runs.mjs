// Remove what a killed `pulumi` run of this project left on this machine: the processes it started
// (language host, program, provider plugins — each in a process group of its own, so a kill of the
// CLI, or of the CLI's process group, leaves them running) and, on a file state backend, its lock.
//
// scripts/main.sh runs `pulumi` with PSM_ENGINE_RUN=<project root>#<pid of that pulumi CLI> in its
// environment, which every process the CLI starts inherits. A process carrying this project's
// marker whose CLI is no longer running belongs to a killed run: nothing will ever talk to it
// again, and a provider still finishing a create would race the next run's adoption of the same
// object, so it is ended (SIGKILL) and waited for. Processes of a running CLI, of other projects
// and processes without the marker are never touched.
//
// A lock file of the file state backend names the pid and host of the CLI that took it; a lock
// taken on this host by a process that is no longer a running `pulumi` is stale and removed
// (`pulumi cancel` would remove every lock, a running CLI's too). Other backends are left alone.
//
//   node scripts/clean-killed-runs.mjs    (in the project's root; scripts/main.sh runs it around each engine run)
import { hostname } from "node:os";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { basename, join } from "node:path";

/** The environment variable that marks the processes of an engine run (see scripts/main.sh). */
const MARKER = "PSM_ENGINE_RUN";
const root = process.cwd();
const prefix = `${MARKER}=${root}#`;
const EXIT_DEADLINE_MS = 10_000;

/** `/proc/<pid>/<file>`, or undefined when the process is gone or not ours to read. */
function procFile(pid, file) {
  try {
    return readFileSync(`/proc/${pid}/${file}`, "utf8");
  } catch {
    return undefined;
  }
}

/** Running (not exited, not a zombie waiting for its parent). */
function running(pid) {
  const stat = procFile(pid, "stat");
  return (
    stat !== undefined && stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z"
  );
}

/** The marker of an engine run in a process's environment, if any. */
function markerOf(pid) {
  return procFile(pid, "environ")
    ?.split("\0")
    .find((entry) => entry.startsWith(prefix));
}

/** Processes of this project's engine runs whose CLI is gone. */
function orphans() {
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

async function endOrphans() {
  const found = orphans();
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

function lockFiles(dir) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) =>
    e.isDirectory()
      ? lockFiles(join(dir, e.name))
      : e.name.endsWith(".json")
        ? [join(dir, e.name)]
        : [],
  );
}

function removeStaleLocks() {
  const url = process.env.PULUMI_BACKEND_URL ?? "";
  if (!url.startsWith("file:///")) return;
  for (const file of lockFiles(join(url.slice("file://".length), ".pulumi", "locks"))) {
    let lock;
    try {
      lock = JSON.parse(readFileSync(file, "utf8"));
    } catch {
      continue; // being written, or not a lock of ours to judge
    }
    if (lock.hostname !== hostname() || !Number.isInteger(lock.pid)) continue;
    const argv0 = (procFile(lock.pid, "cmdline") ?? "").split("\0")[0];
    if (running(lock.pid) && basename(argv0) === "pulumi") continue;
    console.error(
      `removing the stack lock of pulumi pid ${lock.pid}, which is no longer running (${file})`,
    );
    rmSync(file, { force: true });
    rmSync(`${file}.attrs`, { force: true }); // the file backend's metadata of the lock file
  }
}

endOrphans()
  .then(removeStaleLocks)
  .catch((error) => {
    console.error(`cleaning up after a killed pulumi run failed: ${error.message}`);
    process.exit(1);
  });
