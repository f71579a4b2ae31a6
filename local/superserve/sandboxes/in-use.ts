import type { SandboxManager } from "./sandbox-manager";

/** Runs `work` with the sandbox counted as in use: its idle auto-pause does not fire meanwhile. */
export async function whileInUse<T>(
  sandboxes: SandboxManager,
  sandboxId: string,
  work: () => Promise<T>,
): Promise<T> {
  sandboxes.begin(sandboxId);
  try {
    return await work();
  } finally {
    sandboxes.end(sandboxId);
  }
}
