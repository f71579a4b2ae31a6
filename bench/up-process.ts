/** Running the bench's own child processes (the direct script) with their wall time. */
import { spawn } from "node:child_process";

/** What a finished child did. */
export interface NodeRun {
  /** Wall time from spawn to exit, ms. */
  ms: number;
  stdout: string;
  stderr: string;
  code: number | null;
}

/**
 * Run `<node> <script>` with `env` (credentials travel in the environment, never in argv); `node`
 * is the runtime's (default: this process's).
 */
export function runNode(
  script: string,
  env: NodeJS.ProcessEnv,
  node = process.execPath,
): Promise<NodeRun> {
  const started = performance.now();
  const child = spawn(node, [script], { env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ ms: performance.now() - started, stdout, stderr, code }));
  });
}
