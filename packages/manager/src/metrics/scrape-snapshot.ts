/**
 * What a `/metrics` scrape reads from the store, kept between scrapes.
 *
 * - A store whose `generation()` did not move is not read at all.
 * - A store with a change feed (`watchChanges`, watched from the first
 *   scrape on) is read in full once; after that a scrape re-reads only the
 *   jobs the feed named since the last one (their status, run counters and
 *   metadata; and the workers), so a busy site's scrape costs what changed,
 *   not 10,000 rows.
 * - Everything is read again after a `resync` hint (changes may have been
 *   missed: a feed that just started listening or reconnected, another
 *   process's write), on a store without a feed, and at least every
 *   `fullEveryMs` as a safety net.
 *
 * Rows are in the store's order after a full read; a job added by a partial
 * read goes in its place by worker then name.
 */
import {
  parseSize,
  type ChangeFeed,
  type JobMeta,
  type JobStats,
  type JobStore,
  type MirrorStatus,
  type StoreChange,
  type WorkerStatus,
} from '@tunasync/core';
import { jobKey, metaByJob } from '../stale/stale.js';
import type { MirrorInput } from './mirror-series.js';

/** The store's data for a scrape. */
export interface Snapshot {
  rows: MirrorInput[];
  meta: Map<string, JobMeta>;
  workers: WorkerStatus[];
}

/** Options of ScrapeSnapshot. */
export interface ScrapeSnapshotOptions {
  /** A full read at least this often, in ms (default 10 minutes). */
  fullEveryMs?: number;
  /** Milliseconds now, for `fullEveryMs` (default Date.now; a monotonic source is fine). */
  nowMs?: () => number;
}

function hasFeed(store: JobStore): store is JobStore & ChangeFeed {
  return typeof (store as Partial<ChangeFeed>).watchChanges === 'function';
}

const rowOf = (s: MirrorStatus, stats: JobStats | undefined): MirrorInput => ({
  key: jobKey(s.worker, s.name),
  s,
  stats,
  size: s.size === '' ? undefined : parseSize(s.size),
  stale: false,
});

const byWorkerThenName = (a: MirrorInput, b: MirrorInput): number =>
  a.s.worker < b.s.worker ? -1 : a.s.worker > b.s.worker ? 1 : a.s.name < b.s.name ? -1 : a.s.name > b.s.name ? 1 : 0;

/** A store's data for scrape after scrape; `close()` stops watching the feed. */
export class ScrapeSnapshot {
  private snap: Snapshot | undefined;
  private generation: string | undefined;
  private lastFullMs = 0;
  private dirty = new Map<string, { worker: string; mirror: string }>();
  private needFull = true;
  private unwatch: (() => void) | undefined;
  private closed = false;
  private readonly fullEveryMs: number;
  private readonly nowMs: () => number;

  constructor(
    private readonly store: JobStore,
    options: ScrapeSnapshotOptions = {},
  ) {
    this.fullEveryMs = options.fullEveryMs ?? 600_000;
    this.nowMs = options.nowMs ?? Date.now;
  }

  private onChange(c: StoreChange): void {
    if (c.kind === 'status') this.dirty.set(jobKey(c.worker, c.mirror), { worker: c.worker, mirror: c.mirror });
    else if (c.kind === 'resync') this.needFull = true;
    // 'worker' and 'maintenance': the workers and maintenance state are read on every changed scrape anyway.
  }

  /** Stops watching the store's changes. */
  close(): void {
    this.closed = true;
    this.unwatch?.();
    this.unwatch = undefined;
  }

  /** The data for a scrape now. */
  async read(): Promise<Snapshot> {
    // Watched from the first scrape on (a manager nobody scrapes holds no feed), before anything is read.
    if (!this.unwatch && !this.closed && hasFeed(this.store)) this.unwatch = this.store.watchChanges((c) => this.onChange(c));
    // Read first: a store may announce a missed change (resync) as it answers.
    const generation = this.store.generation ? await this.store.generation() : undefined;
    const quiet = generation !== undefined && generation === this.generation && this.dirty.size === 0 && !this.needFull;
    if (this.snap && quiet) return this.snap;
    const full = !this.snap || !this.unwatch || this.needFull || this.nowMs() - this.lastFullMs >= this.fullEveryMs;
    // Changes announced from here on are for the next scrape.
    const dirty = this.dirty;
    this.dirty = new Map();
    this.needFull = false;
    try {
      this.snap = full ? await this.readAll() : await this.readChanged(this.snap!, [...dirty.values()]);
    } catch (err) {
      this.needFull = true;
      throw err;
    }
    if (full) this.lastFullMs = this.nowMs();
    this.generation = generation;
    return this.snap;
  }

  private async readAll(): Promise<Snapshot> {
    const [statuses, stats, metas, workers] = await Promise.all([
      this.store.listAllMirrorStatus(),
      this.store.listJobStats(),
      this.store.listJobMeta(),
      this.store.listWorkers(),
    ]);
    const statsByJob = new Map<string, JobStats>();
    for (const x of stats) statsByJob.set(jobKey(x.worker, x.mirror), x);
    return { rows: statuses.map((s) => rowOf(s, statsByJob.get(jobKey(s.worker, s.name)))), meta: metaByJob(metas), workers };
  }

  private async readChanged(prev: Snapshot, jobs: { worker: string; mirror: string }[]): Promise<Snapshot> {
    const [fresh, workers] = await Promise.all([
      Promise.all(jobs.map(async ({ worker, mirror }) => {
        const [s, stats, meta] = await Promise.all([
          this.store.getMirrorStatus(worker, mirror),
          this.store.getJobStats(worker, mirror),
          this.store.getJobMeta(worker, mirror),
        ]);
        return { key: jobKey(worker, mirror), row: s ? rowOf(s, stats) : undefined, meta };
      })),
      this.store.listWorkers(),
    ]);
    if (fresh.length === 0) return { rows: prev.rows, meta: prev.meta, workers };
    // Updated in place: a scrape still using the map reads its metadata only after its own read, synchronously.
    const metas = prev.meta;
    for (const { key, meta } of fresh) {
      if (meta) metas.set(key, meta);
      else metas.delete(key);
    }
    const index = new Map(prev.rows.map((r, i) => [r.key, i]));
    const rows = prev.rows.slice();
    let reorder = false;
    const gone = new Set<string>();
    for (const { key, row } of fresh) {
      const at = index.get(key);
      if (row && at !== undefined) rows[at] = row;
      else if (row) {
        rows.push(row);
        reorder = true;
      } else if (at !== undefined) gone.add(key);
    }
    const kept = gone.size > 0 ? rows.filter((r) => !gone.has(r.key)) : rows;
    if (reorder) kept.sort(byWorkerThenName);
    return { rows: kept, meta: metas, workers };
  }
}
