// Drives `commands.spawn` of the unmodified SDK against the local Superserve. Node 20 has a
// global WebSocket only with --experimental-websocket, which vitest workers do not get, so
// spawn.test.ts runs this script as a child: `node --experimental-websocket --import tsx`.
// Input by env (the API key never goes on argv): SUPERSERVE_API_KEY, SUPERSERVE_BASE_URL,
// SANDBOX_ID, SCENARIOS (comma-separated names below). Prints one JSON object: scenario → result.
import { Sandbox } from "@superserve/sdk";
import { routeDataPlaneTo } from "../../../provider/data-plane.ts";

routeDataPlaneTo(process.env.SUPERSERVE_BASE_URL);
const sandbox = await Sandbox.connect(process.env.SANDBOX_ID);

const scenarios = {
  /** stdin in several frames (one over 32 KiB), closed, echoed back by cat. */
  async cat() {
    const chunks = [];
    const s = await sandbox.commands.spawn("cat", { onStdout: (d) => chunks.push(d) });
    s.stdin.write("hello é\n");
    s.stdin.write(new Uint8Array(70_000).fill(0x61));
    s.stdin.close();
    const r = await s.wait();
    return {
      exitCode: r.exitCode,
      head: r.stdout.slice(0, 8),
      length: r.stdout.length,
      streamed: chunks.join("") === r.stdout,
    };
  },
  /** stderr, exit code, working directory and env of the start frame. */
  async stderr() {
    const s = await sandbox.commands.spawn('echo oops >&2; echo "$(pwd) $GREETING"; exit 7', {
      cwd: "/etc",
      env: { GREETING: "hi" },
    });
    return s.wait();
  },
  /** A long sleep ended by kill() (SIGTERM). */
  async kill() {
    let out = "";
    let started;
    const running = new Promise((ok) => (started = ok));
    const s = await sandbox.commands.spawn("echo started; exec sleep 1000", {
      onStdout: (d) => (out += d).includes("started") && started(),
    });
    await running;
    const t0 = Date.now();
    s.kill();
    const r = await s.wait();
    return { ...r, ms: Date.now() - t0 };
  },
  /** close() mid-command (SIGTERM frame, then the socket closes). */
  async close() {
    let out = "";
    let started;
    const running = new Promise((ok) => (started = ok));
    const s = await sandbox.commands.spawn("echo started; exec sleep 1001", {
      onStdout: (d) => (out += d).includes("started") && started(),
    });
    await running;
    await s.close();
    return { closed: true };
  },
  /** timeoutMs becomes timeout_s; the command is killed with 124. */
  async timeout() {
    const s = await sandbox.commands.spawn("sleep 30", { timeoutMs: 1000 });
    return s.wait();
  },
  /** A plain command (used on a paused sandbox: the dial is refused, the SDK activates and redials). */
  async echo() {
    const s = await sandbox.commands.spawn("echo resumed");
    return s.wait();
  },
};

const results = {};
for (const name of process.env.SCENARIOS.split(",")) {
  try {
    results[name] = await scenarios[name]();
  } catch (err) {
    results[name] = { error: `${err.name}: ${err.message}` };
  }
}
process.stdout.write(JSON.stringify(results));
