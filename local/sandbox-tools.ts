/**
 * The host directory whose programs every local sandbox sees read-only on its PATH: today the
 * in-sandbox `mesa` CLI.
 */
import { mkdirSync } from "node:fs";
import { buildMesaCli } from "./mesa-cli/bundle";

/** Fill `dir` with the sandbox tools (rebuilt each start, so they match this package) and return it. */
export async function prepareSandboxTools(dir: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  await buildMesaCli(dir);
  return dir;
}
