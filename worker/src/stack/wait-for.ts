/**
 * Polls `check` until it resolves truthy or `timeoutMs` passes; then throws with `what` and the
 * last error, so a service that never came up says why.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | false | null | undefined>,
  { timeoutMs = 30000, intervalMs = 100, isAlive }: { timeoutMs?: number; intervalMs?: number; isAlive?: () => boolean } = {}
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      lastError = err;
    }
    if (isAlive && !isAlive()) {
      throw new Error(`${what}: the process exited before it was ready`);
    }
    if (Date.now() > deadline) {
      const why = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`${what} was not ready after ${timeoutMs} ms${why}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
