/**
 * Job stats and job metadata of the SQLite store (issue 16): the
 * `job_stats` counters, upserted by the run history in the transaction that
 * closes a run (one statement per closed run, nothing per other report), and
 * the `job_meta` rows our worker's schedules carry (`stale_after`, interval).
 */
import type Database from 'better-sqlite3';
import type { JobMeta, JobStats, RunResult } from '@tunasync/core';

type StatsRow = [string, string, number, number, number, number, string | null, number | null, number | null];
type MetaRow = [string, string, number | null, number | null];

const STATS_COLUMNS =
  'worker, mirror, runs_total, failures_total, consecutive_failures, transferred_bytes_total, last_result, last_duration_s, last_transferred_bytes';

function toStats(r: StatsRow): JobStats {
  const s: JobStats = {
    worker: r[0],
    mirror: r[1],
    runsTotal: r[2],
    failuresTotal: r[3],
    consecutiveFailures: r[4],
    transferredBytesTotal: r[5],
  };
  if (r[6] !== null) s.lastResult = r[6] as RunResult;
  if (r[7] !== null) s.lastDurationS = r[7];
  if (r[8] !== null) s.lastTransferredBytes = r[8];
  return s;
}

function toMeta(r: MetaRow): JobMeta {
  const m: JobMeta = { worker: r[0], mirror: r[1] };
  if (r[2] !== null) m.staleAfterS = r[2];
  if (r[3] !== null) m.intervalS = r[3];
  return m;
}

/** The stats a job has before any run closed. */
export function zeroStats(worker: string, mirror: string): JobStats {
  return { worker, mirror, runsTotal: 0, failuresTotal: 0, consecutiveFailures: 0, transferredBytesTotal: 0 };
}

/** What the run history tells the stats (called inside the status update's transaction). */
export interface RunStatsHooks {
  /** Run row `id` was just closed as `success` or `failed`. */
  closed(id: number): void;
  /** Open runs of the job were just closed as `aborted` at `at` (ms). */
  aborted(worker: string, mirror: string, at: number): void;
}

/** The job_stats and job_meta tables. */
export class JobStatsTable implements RunStatsHooks {
  private readonly stmt;

  constructor(db: Database.Database) {
    this.stmt = {
      // Reads the row just written (its page is in the cache): one statement per closed run.
      closed: db.prepare<[number]>(
        `INSERT INTO job_stats (${STATS_COLUMNS})
         SELECT worker, mirror, 1, result = 'failed', result = 'failed', COALESCE(transferred_bytes, 0), result, duration_s, transferred_bytes
         FROM runs WHERE id = ? AND result IN ('success', 'failed')
         ON CONFLICT (worker, mirror) DO UPDATE SET
           runs_total = runs_total + 1,
           failures_total = failures_total + excluded.failures_total,
           consecutive_failures = CASE WHEN excluded.last_result = 'failed' THEN consecutive_failures + 1 ELSE 0 END,
           transferred_bytes_total = transferred_bytes_total + excluded.transferred_bytes_total,
           last_result = excluded.last_result,
           last_duration_s = excluded.last_duration_s,
           last_transferred_bytes = excluded.last_transferred_bytes`,
      ),
      aborted: db.prepare<{ worker: string; mirror: string; at: number }>(
        `INSERT INTO job_stats (${STATS_COLUMNS})
         SELECT worker, mirror, 0, 0, 0, 0, 'aborted', duration_s, NULL
         FROM runs WHERE worker = @worker AND mirror = @mirror AND result = 'aborted' AND ended_at = @at
         ORDER BY id DESC LIMIT 1
         ON CONFLICT (worker, mirror) DO UPDATE SET
           last_result = 'aborted', last_duration_s = excluded.last_duration_s, last_transferred_bytes = NULL`,
      ),
      list: db.prepare<[], StatsRow>(`SELECT ${STATS_COLUMNS} FROM job_stats ORDER BY worker, mirror`).raw(true),
      get: db.prepare<[string, string], StatsRow>(`SELECT ${STATS_COLUMNS} FROM job_stats WHERE worker = ? AND mirror = ?`).raw(true),
      setMeta: db.prepare<[string, string, number | null, number | null]>(
        `INSERT INTO job_meta (worker, mirror, stale_after_s, interval_s) VALUES (?, ?, ?, ?)
         ON CONFLICT (worker, mirror) DO UPDATE SET stale_after_s = excluded.stale_after_s, interval_s = excluded.interval_s
         WHERE stale_after_s IS NOT excluded.stale_after_s OR interval_s IS NOT excluded.interval_s`,
      ),
      listMeta: db.prepare<[], MetaRow>('SELECT worker, mirror, stale_after_s, interval_s FROM job_meta ORDER BY worker, mirror').raw(true),
      getMeta: db.prepare<[string, string], MetaRow>('SELECT worker, mirror, stale_after_s, interval_s FROM job_meta WHERE worker = ? AND mirror = ?').raw(true),
    };
  }

  /** See RunStatsHooks.closed. */
  closed(id: number): void {
    this.stmt.closed.run(id);
  }

  /** See RunStatsHooks.aborted. */
  aborted(worker: string, mirror: string, at: number): void {
    this.stmt.aborted.run({ worker, mirror, at });
  }

  /** Every job's stats, by worker then mirror. */
  list(): JobStats[] {
    return this.stmt.list.all().map(toStats);
  }

  /** One job's stats (zeros when none). */
  get(worker: string, mirror: string): JobStats {
    const row = this.stmt.get.get(worker, mirror);
    return row ? toStats(row) : zeroStats(worker, mirror);
  }

  /** Replaces the metadata of each named job (call inside a write); returns the jobs whose metadata changed. */
  setMeta(worker: string, metas: Omit<JobMeta, 'worker'>[]): string[] {
    return metas.filter((m) => this.stmt.setMeta.run(worker, m.mirror, m.staleAfterS ?? null, m.intervalS ?? null).changes > 0).map((m) => m.mirror);
  }

  /** Every job's metadata, by worker then mirror. */
  listMeta(): JobMeta[] {
    return this.stmt.listMeta.all().map(toMeta);
  }

  /** One job's metadata, or undefined. */
  getMeta(worker: string, mirror: string): JobMeta | undefined {
    const row = this.stmt.getMeta.get(worker, mirror);
    return row ? toMeta(row) : undefined;
  }
}
