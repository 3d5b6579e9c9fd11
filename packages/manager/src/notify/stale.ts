/**
 * The mirrors the `stale` alert fires for: the same rule as `GET /stale` and
 * `tunasync_mirror_stale` (stale/stale.ts: `stale_after`, else 2 × interval
 * + 6 h, from the job metadata our worker reports), so the alert, the route
 * and the metric agree. A mirror that never succeeded is listed by `/stale`
 * but raises no alert: there is no last success to say "stale since".
 */
import type { JobStore } from '@tunasync/core';
import { jobKey, metaByJob, staleness } from '../stale/stale.js';

/** A stale mirror, for the alert. */
export interface StaleMirror {
  worker: string;
  mirror: string;
  /** The last success. */
  lastSuccess: Date;
  /** How old a last success may be before the mirror is stale, in seconds. */
  staleAfterS: number;
}

/** Every mirror stale at `now` that has succeeded once. */
export async function staleMirrors(store: JobStore, now: Date): Promise<StaleMirror[]> {
  const [statuses, metas] = await Promise.all([store.listAllMirrorStatus(), store.listJobMeta()]);
  const meta = metaByJob(metas);
  const out: StaleMirror[] = [];
  for (const s of statuses) {
    const verdict = staleness(s, meta.get(jobKey(s.worker, s.name)), now.getTime());
    if (!verdict.stale || verdict.reason === 'never_succeeded' || verdict.thresholdS === undefined) continue;
    out.push({ worker: s.worker, mirror: s.name, lastSuccess: s.lastUpdate, staleAfterS: verdict.thresholdS });
  }
  return out;
}
