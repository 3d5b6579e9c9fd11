/**
 * The manager's site and per-mirror series (wave2.md § Metrics and alerts),
 * read from the store when it changed (statuses, job stats, job metadata,
 * workers) and written as exposition text (exposition.ts, mirror-series.ts). Labels are
 * `mirror` and `worker`, never `job`; timestamps are Unix seconds; a time
 * that never happened (Go's zero time) and an unknown size have no sample.
 */
import { SYNC_STATUSES, type JobStore, type MaintenanceStore, type WorkerStatus } from '@tunasync/core';
import { staleness } from '../stale/stale.js';
import { FamilyWriter, escapeLabel, joinFamilies } from './exposition.js';
import { MirrorSeries } from './mirror-series.js';
import { ScrapeSnapshot, type ScrapeSnapshotOptions } from './scrape-snapshot.js';

/** Hooks for data other parts own. */
export interface SiteMetricsHooks {
  /**
   * Whether a worker is online now (heartbeats, issue 16's offline workers).
   * Unset: `tunasync_worker_online` is not exposed.
   */
  workerOnline?: (worker: WorkerStatus, now: Date) => boolean;
}

const ts = (d: Date): number => d.getTime() / 1000;

function hasMaintenance(store: JobStore): store is JobStore & MaintenanceStore {
  return typeof (store as Partial<MaintenanceStore>).getMaintenance === 'function';
}

/**
 * The site's series of one manager, scrape after scrape: the store is read
 * as little as it can be (scrape-snapshot.ts: nothing when it did not
 * change, only the changed jobs when it has a change feed); staleness is
 * computed on every scrape, from the clock; the per-mirror families are
 * rendered incrementally (mirror-series.ts).
 */
export class SiteMetrics {
  private readonly snapshot: ScrapeSnapshot;
  private readonly series = new MirrorSeries();

  constructor(
    private readonly store: JobStore,
    private readonly hooks: SiteMetricsHooks = {},
    options: ScrapeSnapshotOptions = {},
  ) {
    this.snapshot = new ScrapeSnapshot(store, options);
  }

  /** Stops watching the store (see ScrapeSnapshot). */
  close(): void {
    this.snapshot.close();
  }

  /**
   * The series as exposition text at `now`, in parts to be sent one after
   * the other (a part may be the same Buffer as in the last scrape: never
   * write into one). `tunasync_maintenance` is exposed when the store keeps
   * maintenance state, `tunasync_worker_online` when `hooks.workerOnline` is given.
   */
  async collect(now: Date): Promise<Buffer[]> {
    const snap = await this.snapshot.read();
    const maintenance = hasMaintenance(this.store) ? await this.store.getMaintenance() : undefined;
    const nowMs = now.getTime();
    const byStatus = new Map<string, number>(SYNC_STATUSES.map((s) => [s, 0]));
    for (const r of snap.rows) {
      r.stale = staleness(r.s, snap.meta.get(r.key), nowMs).stale;
      byStatus.set(r.s.status, (byStatus.get(r.s.status) ?? 0) + 1);
    }
    const perMirror = this.series.render(snap.rows);
    const seen = new FamilyWriter('tunasync_worker_last_seen_timestamp_seconds', 'gauge', 'When the worker last registered, reported or sent schedules.');
    const { workerOnline } = this.hooks;
    const online = workerOnline
      ? new FamilyWriter('tunasync_worker_online', 'gauge', '1 when the worker was heard from within 3 heartbeat intervals, else 0.')
      : undefined;
    for (const w of snap.workers) {
      const l = `worker="${escapeLabel(w.id)}"`;
      seen.sample(l, ts(w.lastOnline));
      online?.sample(l, workerOnline!(w, now) ? 1 : 0);
    }
    // Named as wave2.md says; typed untyped because promtool's lint refuses a gauge ending in _total.
    const workers = new FamilyWriter('tunasync_workers_total', 'untyped', 'Registered workers.', false);
    workers.sample('', snap.workers.length);
    const mirrors = new FamilyWriter('tunasync_mirrors_total', 'untyped', 'Mirror jobs by status.');
    for (const [st, n] of byStatus) mirrors.sample(`status="${escapeLabel(st)}"`, n);
    let site = joinFamilies([seen, online, workers, mirrors]);
    if (maintenance !== undefined) {
      const m = new FamilyWriter('tunasync_maintenance', 'gauge', '1 while maintenance mode is on, else 0.', false);
      m.sample('', maintenance ? 1 : 0);
      site += m.toString();
    }
    return [...perMirror, Buffer.from(site)];
  }
}

/** The site's series as one text, read from `store` at `now` (a one-off scrape; the route keeps a SiteMetrics). */
export async function siteMetricsText(store: JobStore, now: Date, hooks: SiteMetricsHooks = {}): Promise<string> {
  const site = new SiteMetrics(store, hooks);
  try {
    return Buffer.concat(await site.collect(now)).toString('utf8');
  } finally {
    site.close();
  }
}
