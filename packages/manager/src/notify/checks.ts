/**
 * The periodic checks behind the `stale` and `worker_offline` alerts, run by
 * the dispatcher under its lease at most once per `everyMs` of the
 * manager's clock (so a test clock drives them). Each stale episode (one
 * last-success time) and each silence (one last-seen time) fires once.
 */
import type { Clock, JobStore } from '@tunasync/core';
import { workerOnline } from '../heartbeat/online.js';
import type { Notifier } from './notifier.js';
import { staleMirrors } from './stale.js';

/** Default time between checks, in ms of the manager's clock. */
export const CHECK_EVERY_MS = 60_000;

/** Makes the check function the dispatcher calls each round. */
export function periodicChecks(store: JobStore, notifier: Notifier, clock: Clock, everyMs = CHECK_EVERY_MS): () => Promise<void> {
  let last = -Infinity;
  return async () => {
    const now = clock.now();
    if (now.getTime() - last < everyMs) return;
    last = now.getTime();
    const time = now.toISOString();
    for (const s of await staleMirrors(store, now)) {
      await notifier.raise(
        { event: 'stale', time, worker: s.worker, mirror: s.mirror, last_success: s.lastSuccess.toISOString() },
        `stale:${s.worker}/${s.mirror}:${s.lastSuccess.getTime()}`,
      );
    }
    for (const w of await store.listWorkers()) {
      if (workerOnline(w, now)) continue;
      await notifier.raise(
        { event: 'worker_offline', time, worker: w.id, last_seen: w.lastOnline.toISOString() },
        `worker_offline:${w.id}:${w.lastOnline.getTime()}`,
      );
    }
  };
}
