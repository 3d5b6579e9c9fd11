/**
 * The manager's site and per-mirror series (wave2.md § Metrics and alerts),
 * read from the store on each scrape (statuses, job stats, job metadata,
 * workers) and written as exposition text (see exposition.ts). Labels are
 * `mirror` and `worker`, never `job`; timestamps are Unix seconds; a time
 * that never happened (Go's zero time) and an unknown size have no sample.
 */
import {
  SYNC_STATUSES,
  isZeroTime,
  parseSize,
  type JobStats,
  type JobStore,
  type MaintenanceStore,
  type MirrorStatus,
  type WorkerStatus,
} from '@tunasync/core';
import { jobKey, metaByJob, staleness } from '../stale/stale.js';
import { FamilyWriter, escapeLabel, joinFamilies } from './exposition.js';

/** Hooks for data other parts own. */
export interface SiteMetricsHooks {
  /**
   * Whether a worker is online now (heartbeats, issue 16's offline workers).
   * Unset: `tunasync_worker_online` is not exposed.
   */
  workerOnline?: (worker: WorkerStatus, now: Date) => boolean;
}

const ts = (d: Date): number => d.getTime() / 1000;

/** Reads what a scrape needs from the store, all at once. */
async function snapshot(store: JobStore) {
  const [statuses, stats, metas, workers] = await Promise.all([
    store.listAllMirrorStatus(),
    store.listJobStats(),
    store.listJobMeta(),
    store.listWorkers(),
  ]);
  const statsByJob = new Map<string, JobStats>();
  for (const s of stats) statsByJob.set(jobKey(s.worker, s.mirror), s);
  return { statuses, statsByJob, meta: metaByJob(metas), workers };
}

/** The per-mirror families, in exposition order. */
function mirrorFamilies() {
  return {
    status: new FamilyWriter('tunasync_mirror_status', 'gauge', 'The mirror job status as a state set: 1 for the current status, 0 for the others.'),
    lastSuccess: new FamilyWriter('tunasync_mirror_last_success_timestamp_seconds', 'gauge', 'When the mirror last synced successfully.'),
    lastStarted: new FamilyWriter('tunasync_mirror_last_started_timestamp_seconds', 'gauge', 'When the mirror last started a sync.'),
    lastEnded: new FamilyWriter('tunasync_mirror_last_ended_timestamp_seconds', 'gauge', 'When the mirror last ended a sync (success or failure).'),
    nextRun: new FamilyWriter('tunasync_mirror_next_run_timestamp_seconds', 'gauge', 'When the mirror is next scheduled to sync.'),
    duration: new FamilyWriter('tunasync_mirror_last_run_duration_seconds', 'gauge', 'How long the last closed run took.'),
    size: new FamilyWriter('tunasync_mirror_size_bytes', 'gauge', 'The mirror size as last reported (no sample when unknown).'),
    runs: new FamilyWriter('tunasync_mirror_runs_total', 'counter', 'Runs closed as success or failed.'),
    failures: new FamilyWriter('tunasync_mirror_failures_total', 'counter', 'Runs closed as failed.'),
    streak: new FamilyWriter('tunasync_mirror_consecutive_failures', 'gauge', 'Runs closed as failed since the last success.'),
    lastBytes: new FamilyWriter('tunasync_mirror_last_transferred_bytes', 'gauge', 'Bytes the last closed run transferred (no sample when not reported).'),
    bytes: new FamilyWriter('tunasync_mirror_transferred_bytes_total', 'counter', 'Bytes transferred by closed runs that reported it.'),
    stale: new FamilyWriter('tunasync_mirror_stale', 'gauge', '1 when the last success is older than stale_after (or 2 x interval + 6h), else 0.'),
  };
}

function writeMirror(f: ReturnType<typeof mirrorFamilies>, s: MirrorStatus, stats: JobStats | undefined, stale: boolean): void {
  const l = `mirror="${escapeLabel(s.name)}",worker="${escapeLabel(s.worker)}"`;
  for (const st of SYNC_STATUSES) f.status.sample(`${l},status="${st}"`, st === s.status ? 1 : 0);
  if (!isZeroTime(s.lastUpdate)) f.lastSuccess.sample(l, ts(s.lastUpdate));
  if (!isZeroTime(s.lastStarted)) f.lastStarted.sample(l, ts(s.lastStarted));
  if (!isZeroTime(s.lastEnded)) f.lastEnded.sample(l, ts(s.lastEnded));
  if (!isZeroTime(s.nextSchedule)) f.nextRun.sample(l, ts(s.nextSchedule));
  if (stats?.lastDurationS !== undefined) f.duration.sample(l, stats.lastDurationS);
  const size = s.size === '' ? undefined : parseSize(s.size);
  if (size !== undefined) f.size.sample(l, size);
  f.runs.sample(l, stats?.runsTotal ?? 0);
  f.failures.sample(l, stats?.failuresTotal ?? 0);
  f.streak.sample(l, stats?.consecutiveFailures ?? 0);
  if (stats?.lastTransferredBytes !== undefined) f.lastBytes.sample(l, stats.lastTransferredBytes);
  f.bytes.sample(l, stats?.transferredBytesTotal ?? 0);
  f.stale.sample(l, stale ? 1 : 0);
}

function hasMaintenance(store: JobStore): store is JobStore & MaintenanceStore {
  return typeof (store as Partial<MaintenanceStore>).getMaintenance === 'function';
}

/**
 * The site's series as exposition text, read from `store` at `now`.
 * `tunasync_maintenance` is exposed when the store keeps maintenance state
 * (MaintenanceStore), `tunasync_worker_online` when `hooks.workerOnline` is given.
 */
export async function siteMetricsText(store: JobStore, now: Date, hooks: SiteMetricsHooks = {}): Promise<string> {
  const snap = await snapshot(store);
  const nowMs = now.getTime();
  const f = mirrorFamilies();
  const byStatus = new Map<string, number>(SYNC_STATUSES.map((s) => [s, 0]));
  for (const s of snap.statuses) {
    const key = jobKey(s.worker, s.name);
    writeMirror(f, s, snap.statsByJob.get(key), staleness(s, snap.meta.get(key), nowMs).stale);
    byStatus.set(s.status, (byStatus.get(s.status) ?? 0) + 1);
  }
  const seen = new FamilyWriter('tunasync_worker_last_seen_timestamp_seconds', 'gauge', 'When the worker last registered, reported or sent schedules.');
  const online = hooks.workerOnline
    ? new FamilyWriter('tunasync_worker_online', 'gauge', '1 when the worker was heard from within 3 heartbeat intervals, else 0.')
    : undefined;
  for (const w of snap.workers) {
    const l = `worker="${escapeLabel(w.id)}"`;
    seen.sample(l, ts(w.lastOnline));
    online?.sample(l, hooks.workerOnline!(w, now) ? 1 : 0);
  }
  // Named as wave2.md says; typed untyped because promtool's lint refuses a gauge ending in _total.
  const workers = new FamilyWriter('tunasync_workers_total', 'untyped', 'Registered workers.', false);
  workers.sample('', snap.workers.length);
  const mirrors = new FamilyWriter('tunasync_mirrors_total', 'untyped', 'Mirror jobs by status.');
  for (const [st, n] of byStatus) mirrors.sample(`status="${escapeLabel(st)}"`, n);
  let text = joinFamilies([...Object.values(f), seen, online, workers, mirrors]);
  if (hasMaintenance(store)) {
    const m = new FamilyWriter('tunasync_maintenance', 'gauge', '1 while maintenance mode is on, else 0.', false);
    m.sample('', (await store.getMaintenance()) ? 1 : 0);
    text += m.toString();
  }
  return text;
}
