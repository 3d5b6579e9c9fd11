/**
 * A small stale rule for the `stale` alert, used until the metrics branch's
 * `staleMirrors` (with worker-reported `stale_after`) replaces it: a mirror
 * whose last success is older than 2 × its interval + 6 h is stale. Without
 * job metadata the interval is estimated from the stored times (next run −
 * last end), else one day. Paused, disabled and never-successful mirrors
 * are not stale.
 */
import { isZeroTime, type JobStore } from '@tunasync/core';

/** A stale mirror. */
export interface StaleMirror {
  worker: string;
  mirror: string;
  /** The last success. */
  lastSuccess: Date;
  /** How old a last success may be before the mirror is stale, in seconds. */
  staleAfterS: number;
}

const DAY_S = 86_400;
const GRACE_S = 6 * 3600;

/** Every stale mirror at `now`. */
export async function staleMirrors(store: JobStore, now: Date): Promise<StaleMirror[]> {
  const out: StaleMirror[] = [];
  for (const s of await store.listAllMirrorStatus()) {
    if (s.status === 'disabled' || s.status === 'paused' || isZeroTime(s.lastUpdate)) continue;
    const estimate = isZeroTime(s.nextSchedule) || isZeroTime(s.lastEnded) ? 0 : (s.nextSchedule.getTime() - s.lastEnded.getTime()) / 1000;
    const intervalS = estimate > 0 ? estimate : DAY_S;
    const staleAfterS = 2 * intervalS + GRACE_S;
    if (now.getTime() - s.lastUpdate.getTime() > staleAfterS * 1000) {
      out.push({ worker: s.worker, mirror: s.name, lastSuccess: s.lastUpdate, staleAfterS });
    }
  }
  return out;
}
