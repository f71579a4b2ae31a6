import { readFile } from "node:fs/promises";
import { shellQuote } from "../../shared/shell-quote";
import { SANDBOX_PROXY_PORT } from "./sandbox-env";
import type { SandboxEgress } from "./types";

/** `sun_path` holds 108 bytes; the contract keeps 8 spare. */
const MAX_SOCKET_PATH_BYTES = 100;

/** `127.0.0.1:<port>` listening, as a line of /proc/net/tcp has it (address and port in hex, state 0A). */
const LISTENING = ` 0100007F:${SANDBOX_PROXY_PORT.toString(16).toUpperCase().padStart(4, "0")} 00000000:0000 0A `;

/**
 * Shell lines run by the sandbox's launcher right after `unshare --net`, in the sandbox's new
 * network namespace and still in the host's mount namespace: `lo` up and, with `egress`, a socat
 * bridge from `127.0.0.1:3128` to the egress layer's Unix socket, started in the background while
 * the root file system is mounted ({@link waitForBridge} waits for it to listen). socat runs
 * outside the sandbox's pid namespace (no sandbox process sees or signals it) and outside its file
 * system (the socket is never bound in), in its cgroups (it freezes with it).
 */
export function networkSetupLines(egress: SandboxEgress | undefined): string[] {
  const lines = [
    `command -v ip >/dev/null || { echo "ip (iproute2) is missing on the host: apt-get install iproute2 (scripts/setup.sh installs it)" >&2; exit 1; }`,
    "ip link set lo up",
  ];
  if (!egress) return lines;
  const address = `UNIX-CONNECT:${checkedSocketPath(egress.socketPath)}`;
  return [
    ...lines,
    `command -v socat >/dev/null || { echo "socat is missing on the host: apt-get install socat (scripts/setup.sh installs it)" >&2; exit 1; }`,
    `socat TCP-LISTEN:${SANDBOX_PROXY_PORT},bind=127.0.0.1,fork,reuseaddr ${shellQuote(address)} </dev/null >/dev/null 3>&- &`,
  ];
}

/** How long a booting sandbox's egress bridge may take to listen. */
const BRIDGE_START_MS = 5000;

/**
 * Resolves once the egress bridge listens in the network namespace of `pid` (a process of the
 * sandbox), read from its `/proc/<pid>/net/tcp` every 2 ms; throws after {@link BRIDGE_START_MS}.
 * Waited for after the sandbox's init is up, so socat's start overlaps the root file system's.
 */
export async function waitForBridge(pid: number, egress: SandboxEgress): Promise<void> {
  const deadline = Date.now() + BRIDGE_START_MS;
  for (;;) {
    const tcp = await readFile(`/proc/${pid}/net/tcp`, "utf8").catch(() => "");
    if (tcp.includes(LISTENING)) return;
    if (Date.now() > deadline)
      throw new Error(
        `the egress bridge (socat to ${egress.socketPath}) did not listen on 127.0.0.1:${SANDBOX_PROXY_PORT} within ${BRIDGE_START_MS} ms`,
      );
    await new Promise((ok) => setTimeout(ok, 2));
  }
}

/** `path`, refused with the fix when socat's address syntax or `sun_path` cannot hold it. */
function checkedSocketPath(path: string): string {
  if (!path.startsWith("/") || /[,:!'"\\]/.test(path))
    throw new Error(
      `egress.socketPath ${JSON.stringify(path)} must be an absolute path without ',', ':', '!', quotes or backslashes (socat's address syntax)`,
    );
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES)
    throw new Error(
      `egress.socketPath ${path} is ${Buffer.byteLength(path)} bytes long; a Unix socket path holds at most ${MAX_SOCKET_PATH_BYTES}: use a shorter data directory`,
    );
  return path;
}
