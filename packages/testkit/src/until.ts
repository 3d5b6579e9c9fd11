/** Polling until a condition holds: the one `until` every package's tests use. */
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Calls `fn` every 25 ms until it returns something other than `undefined`
 * and resolves with that value. A throw or rejection counts as "not yet"
 * (a server still starting, a file not yet written); after `timeoutMs` it
 * rejects, naming `what` and the last error seen.
 */
export async function until<T>(
  fn: () => T | undefined | Promise<T | undefined>,
  what = 'the condition',
  timeoutMs = 15_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > end) {
      const why = lastError === undefined ? '' : ` (last error: ${lastError instanceof Error ? lastError.message : String(lastError)})`;
      throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}${why}`);
    }
    await sleep(25);
  }
}
