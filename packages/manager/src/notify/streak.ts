/**
 * Consecutive failed runs of a job, from the run history (`listRuns`): the
 * one place to switch to the store's `JobStats.consecutiveFailures` once the
 * metrics branch has it (for `failed`; `recovered` needs the streak before
 * the success, which history keeps).
 */
import type { JobStore } from '@tunasync/core';

/**
 * The failed runs in a row at the end of the job's history, not counting a
 * newest run that succeeded: after a failure, how many failed in a row
 * (itself included); after a success, how many failed right before it.
 * Aborted and skipped runs are passed over; counts stop at `cap`.
 */
export async function failureStreak(store: JobStore, worker: string, mirror: string, cap: number): Promise<number> {
  const runs = await store.listRuns(mirror, { worker, limit: Math.max(cap, 1) * 2 + 4 });
  let n = 0;
  let first = true;
  for (const r of runs) {
    if (r.result !== 'success' && r.result !== 'failed') continue;
    if (r.result === 'success') {
      if (first) {
        first = false;
        continue;
      }
      break;
    }
    first = false;
    if (++n >= cap) break;
  }
  return n;
}
