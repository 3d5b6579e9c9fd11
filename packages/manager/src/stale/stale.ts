/**
 * Stale mirrors (issue 16): a mirror is stale when its last success is
 * older than its `stale_after` (worker.conf, reported by our worker with its
 * schedules), or, without one, older than 2 × its interval + 6 hours. With
 * neither known (tunasync's worker reports no interval) it is never stale. A
 * mirror that never succeeded is stale once a threshold is known; a
 * `disabled` one never is. Pure functions over the store's rows and a time
 * (the manager's clock).
 */
import { isZeroTime, type JobMeta, type MirrorStatus } from '@tunasync/core';

/** The slack of the default rule: 2 × interval + this many seconds (6 h). */
export const DEFAULT_STALE_SLACK_S = 6 * 3600;

/** Why a mirror is stale. */
export type StaleReason = 'older_than_stale_after' | 'older_than_default' | 'never_succeeded';

/** What the rule says of one mirror. */
export interface Staleness {
  stale: boolean;
  /** The threshold applied, in seconds (undefined: none known, never stale). */
  thresholdS?: number;
  reason?: StaleReason;
}

/** The threshold of a job: its `stale_after`, else 2 × interval + 6 h, else none. */
export function staleThreshold(meta: Pick<JobMeta, 'staleAfterS' | 'intervalS'> | undefined): { seconds: number; own: boolean } | undefined {
  if (meta?.staleAfterS !== undefined && meta.staleAfterS > 0) return { seconds: meta.staleAfterS, own: true };
  if (meta?.intervalS !== undefined && meta.intervalS > 0) return { seconds: 2 * meta.intervalS + DEFAULT_STALE_SLACK_S, own: false };
  return undefined;
}

/** Applies the rule to one job at `nowMs`. The last success is the status's `last_update` (set on success only). */
export function staleness(status: Pick<MirrorStatus, 'status' | 'lastUpdate'>, meta: JobMeta | undefined, nowMs: number): Staleness {
  const threshold = staleThreshold(meta);
  if (!threshold || status.status === 'disabled') return { stale: false, ...(threshold ? { thresholdS: threshold.seconds } : {}) };
  if (isZeroTime(status.lastUpdate)) return { stale: true, thresholdS: threshold.seconds, reason: 'never_succeeded' };
  const ageS = (nowMs - status.lastUpdate.getTime()) / 1000;
  if (ageS <= threshold.seconds) return { stale: false, thresholdS: threshold.seconds };
  return { stale: true, thresholdS: threshold.seconds, reason: threshold.own ? 'older_than_stale_after' : 'older_than_default' };
}

/** The key of a job in maps built from store lists. */
export function jobKey(worker: string, mirror: string): string {
  return `${worker}\u0000${mirror}`;
}

/** Indexes job metadata by jobKey. */
export function metaByJob(metas: JobMeta[]): Map<string, JobMeta> {
  const m = new Map<string, JobMeta>();
  for (const x of metas) m.set(jobKey(x.worker, x.mirror), x);
  return m;
}
