/**
 * Polls `probe` until it returns a value other than undefined or false, or fails after
 * `timeoutMs` naming `what` and the last error (for work done by other processes — daemons,
 * servers, the Pulumi engine — whose progress can only be observed, not stepped). The one polling
 * helper of the tests: a condition returns a boolean, a lookup returns the value it found.
 */
export async function eventually<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 5000,
  intervalMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `expected ${what} within ${timeoutMs} ms${lastError ? `; last error: ${lastError instanceof Error ? lastError.message : JSON.stringify(lastError)}` : ""}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
