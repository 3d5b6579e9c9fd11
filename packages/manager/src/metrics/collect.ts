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
import { FamilyWriter, escapeLabel, formatValue, joinFamilies, type MetricType } from './exposition.js';

/** Hooks for data other parts own. */
export interface SiteMetricsHooks {
  /**
   * Whether a worker is online now (heartbeats, issue 16's offline workers).
   * Unset: `tunasync_worker_online` is not exposed.
   */
  workerOnline?: (worker: WorkerStatus, now: Date) => boolean;
}

/** Reads what a scrape needs from the store, all at once. */
async function readSnapshot(store: JobStore) {
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

type Snapshot = Awaited<ReturnType<typeof readSnapshot>>;

/**
 * Reuses the last scrape's store reads while the store's optional
 * `generation()` stays equal (nothing written since); a store without it is
 * read on every scrape. Staleness is still computed per scrape, from the clock.
 */
export class ScrapeCache {
  private last: { generation: string; snap: Snapshot } | undefined;

  /** The store's data for a scrape. */
  async read(store: JobStore): Promise<Snapshot> {
    const generation = store.generation ? await store.generation() : undefined;
    if (generation !== undefined && this.last?.generation === generation) return this.last.snap;
    const snap = await readSnapshot(store);
    this.last = generation === undefined ? undefined : { generation, snap };
    return snap;
  }
}

/** One mirror's row of a scrape: its label text, rendered once, and what its series read. */
interface MirrorRow {
  /** `mirror="…",worker="…"`. */
  l: string;
  s: MirrorStatus;
  stats: JobStats | undefined;
  size: number | undefined;
  stale: boolean;
}

const ts = (d: Date): number => d.getTime() / 1000;
const whenHappened = (d: Date): number | undefined => (isZeroTime(d) ? undefined : ts(d));

/**
 * One per-mirror family, built and joined at once (families outer, mirrors
 * inner): each family's samples die young instead of all 190,000 living
 * until the end of a 10,000-mirror scrape, which measured GC-bound.
 */
function perMirror(name: string, type: MetricType, help: string, rows: MirrorRow[], value: (r: MirrorRow) => number | undefined): string {
  const parts: string[] = [];
  for (const r of rows) {
    const v = value(r);
    if (v !== undefined) parts.push(`${r.l}} ${formatValue(v)}`);
  }
  const header = `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`;
  return parts.length === 0 ? header : `${header}${name}{${parts.join(`\n${name}{`)}\n`;
}

/** `tunasync_mirror_status` as a state set; the `,status="…"} 0|1` tails are made once. */
function statusFamily(rows: MirrorRow[]): string {
  const name = 'tunasync_mirror_status';
  const on = new Map(SYNC_STATUSES.map((st) => [st, `,status="${st}"} 1`]));
  const off = new Map(SYNC_STATUSES.map((st) => [st, `,status="${st}"} 0`]));
  const parts: string[] = [];
  for (const r of rows) for (const st of SYNC_STATUSES) parts.push(r.l + (st === r.s.status ? on.get(st)! : off.get(st)!));
  const header = `# HELP ${name} The mirror job status as a state set: 1 for the current status, 0 for the others.\n# TYPE ${name} gauge\n`;
  return parts.length === 0 ? header : `${header}${name}{${parts.join(`\n${name}{`)}\n`;
}

/** Every per-mirror family, in exposition order. */
function mirrorFamilies(rows: MirrorRow[]): string[] {
  const m = (n: string): string => `tunasync_mirror_${n}`;
  return [
    statusFamily(rows),
    perMirror(m('last_success_timestamp_seconds'), 'gauge', 'When the mirror last synced successfully.', rows, (r) => whenHappened(r.s.lastUpdate)),
    perMirror(m('last_started_timestamp_seconds'), 'gauge', 'When the mirror last started a sync.', rows, (r) => whenHappened(r.s.lastStarted)),
    perMirror(m('last_ended_timestamp_seconds'), 'gauge', 'When the mirror last ended a sync (success or failure).', rows, (r) => whenHappened(r.s.lastEnded)),
    perMirror(m('next_run_timestamp_seconds'), 'gauge', 'When the mirror is next scheduled to sync.', rows, (r) => whenHappened(r.s.nextSchedule)),
    perMirror(m('last_run_duration_seconds'), 'gauge', 'How long the last closed run took.', rows, (r) => r.stats?.lastDurationS),
    perMirror(m('size_bytes'), 'gauge', 'The mirror size as last reported (no sample when unknown).', rows, (r) => r.size),
    perMirror(m('runs_total'), 'counter', 'Runs closed as success or failed.', rows, (r) => r.stats?.runsTotal ?? 0),
    perMirror(m('failures_total'), 'counter', 'Runs closed as failed.', rows, (r) => r.stats?.failuresTotal ?? 0),
    perMirror(m('consecutive_failures'), 'gauge', 'Runs closed as failed since the last success.', rows, (r) => r.stats?.consecutiveFailures ?? 0),
    perMirror(m('last_transferred_bytes'), 'gauge', 'Bytes the last closed run transferred (no sample when not reported).', rows, (r) => r.stats?.lastTransferredBytes),
    perMirror(m('transferred_bytes_total'), 'counter', 'Bytes transferred by closed runs that reported it.', rows, (r) => r.stats?.transferredBytesTotal ?? 0),
    perMirror(m('stale'), 'gauge', '1 when the last success is older than stale_after (or 2 x interval + 6h), else 0.', rows, (r) => (r.stale ? 1 : 0)),
  ];
}

function hasMaintenance(store: JobStore): store is JobStore & MaintenanceStore {
  return typeof (store as Partial<MaintenanceStore>).getMaintenance === 'function';
}

/**
 * The site's series as exposition text, read from `store` at `now`.
 * `tunasync_maintenance` is exposed when the store keeps maintenance state
 * (MaintenanceStore), `tunasync_worker_online` when `hooks.workerOnline` is given.
 * With `cache`, the store is read again only when its generation changed.
 */
export async function siteMetricsText(store: JobStore, now: Date, hooks: SiteMetricsHooks = {}, cache?: ScrapeCache): Promise<string> {
  const snap = cache ? await cache.read(store) : await readSnapshot(store);
  const nowMs = now.getTime();
  const byStatus = new Map<string, number>(SYNC_STATUSES.map((s) => [s, 0]));
  const rows: MirrorRow[] = new Array<MirrorRow>(snap.statuses.length);
  snap.statuses.forEach((s, i) => {
    const key = jobKey(s.worker, s.name);
    rows[i] = {
      l: `mirror="${escapeLabel(s.name)}",worker="${escapeLabel(s.worker)}"`,
      s,
      stats: snap.statsByJob.get(key),
      size: s.size === '' ? undefined : parseSize(s.size),
      stale: staleness(s, snap.meta.get(key), nowMs).stale,
    };
    byStatus.set(s.status, (byStatus.get(s.status) ?? 0) + 1);
  });
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
  let text = mirrorFamilies(rows).join('') + joinFamilies([seen, online, workers, mirrors]);
  if (hasMaintenance(store)) {
    const m = new FamilyWriter('tunasync_maintenance', 'gauge', '1 while maintenance mode is on, else 0.', false);
    m.sample('', (await store.getMaintenance()) ? 1 : 0);
    text += m.toString();
  }
  return text;
}
