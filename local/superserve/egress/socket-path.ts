import { createHash } from "node:crypto";
import { join } from "node:path";

/** Longest socket path the egress layer hands out (sockaddr_un holds 108 bytes; the contract says 100). */
export const MAX_SOCKET_PATH_BYTES = 100;

const shortHash = (s: string, n: number) =>
  createHash("sha256").update(s).digest("hex").slice(0, n);

/**
 * The Unix socket of a sandbox's proxy: `<stateDir>/sockets/<id>.sock` when that fits in
 * {@link MAX_SOCKET_PATH_BYTES}, otherwise a short directory under /tmp named after the state
 * dir. The same inputs always give the same path, so a restart of the local backends re-opens
 * the socket a surviving sandbox's bridge connects to.
 */
export function socketPathFor(stateDir: string, sandboxId: string): string {
  const fits = (p: string) => Buffer.byteLength(p) <= MAX_SOCKET_PATH_BYTES;
  const inState = join(stateDir, "sockets", `${sandboxId}.sock`);
  if (fits(inState)) return inState;
  const short = join(shortDir(stateDir), `${sandboxId}.sock`);
  return fits(short) ? short : join(shortDir(stateDir), `${shortHash(sandboxId, 24)}.sock`);
}

/** The fallback directory of {@link socketPathFor} for `stateDir`. */
export const shortDir = (stateDir: string) => `/tmp/superserve-egress-${shortHash(stateDir, 12)}`;
