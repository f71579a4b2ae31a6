import { spawn } from "node:child_process";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildMesaCli } from "../../../local/mesa-cli/bundle";

/** The `mesa` command bundled once into a temp dir (removed by the returned `remove`). */
export async function bundledMesa(): Promise<{ dir: string; bin: string; remove: () => void }> {
  const dir = fs.mkdtempSync(join(tmpdir(), "mesa-cli-bin-"));
  const bin = await buildMesaCli(dir);
  return { dir, bin, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Output of one run of the bundled command. */
export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `/usr/bin/node <bin> ...args` with exactly `env` (secrets by env, never argv). */
export function runNode(bin: string, args: string[], env: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

export { eventually } from "../../helpers/eventually";
export { uniqueName } from "../../helpers/names";
