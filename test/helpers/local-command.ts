import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { repoRoot } from "./pulumi";

/** The local backends' command as `npm run build` leaves it (`local/dist/cli.js`). */
const cli = join(repoRoot, "local", "dist", "cli.js");

/**
 * Runs the local backends' command (`pulumi-superserve-mesa-local`) with `args`, as a user does,
 * without the environment variables that would pick its data dir or ports for it.
 *
 * @example
 * const r = runLocalCommand("status", "--json", "--data-dir", dir);
 */
export function runLocalCommand(...args: string[]): {
  code: number | null;
  stdout: string;
  stderr: string;
} {
  const env = { ...process.env };
  for (const key of ["PSM_LOCAL_DIR", "PSM_MESA_PORT", "PSM_SUPERSERVE_PORT"]) delete env[key];
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", env, timeout: 90_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
