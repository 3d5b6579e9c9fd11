/**
 * JobStore on PostgreSQL, for several managers on one database. Every
 * read-modify-write runs in one transaction holding the job's row lock
 * (`SELECT … FOR UPDATE`; a first report that races another's insert is
 * retried), so two managers never lose each other's updates; the run
 * history step, the job's stats and the change notification commit with it.
 * Times the store stamps itself (leases, notifications, maintenance) are the
 * database's `now()`; `clock` is the manager's clock set to the database's
 * (measured offset), so every manager stamps reports with one clock.
 */
import type pg from 'pg';
import {
  createSilentLogger,
  type ChangeFeed,
  type Clock,
  type JobStore,
  type JobStatsStore,
  type LeaseStore,
  type MaintenanceStore,
  type NotificationStore,
  type Logger,
  type MirrorSchedule,
  type MirrorStatus,
  type RunHistoryStep,
  type RunQuery,
  type RunRecord,
  type StoreChange,
  type WorkerStatus,
} from '@tunasync/core';
import { migrate } from './migrations.js';
import { NOTIFY_SQL, PgChangeListener, changeText } from './pg-feed.js';
import { createPool, inTransaction, translatePgError, type Queryable } from './pg-pool.js';
import { ReportReads } from './pg-reads.js';
import { toStatus, toWorker, type StatusRow, type WorkerRow } from './pg-rows.js';
import * as runs from './pg-runs.js';
import { PgWriteBatcher } from './pg-write-batch.js';

/** Options of PostgresJobStore. */
export interface PostgresJobStoreOptions {
  logger?: Logger;
  /** Pool size (default 10). */
  maxConnections?: number;
  /**
   * Group commit of status reports (default true): concurrent
   * updateMirrorStatus and refreshWorker calls share one transaction
   * (pg-write-batch.ts). false: each on its own.
   */
  groupCommit?: boolean;
  /** Group-commit batches written at once (default 1). */
  batchesInFlight?: number;
}

/** The store contract without its wave-2 parts (the full store class adds them). */
type BaseJobStore = Omit<JobStore, keyof JobStatsStore | keyof NotificationStore | keyof MaintenanceStore | keyof LeaseStore>;

/** JobStore and the change feed on a PostgreSQL database (the wave-2 parts are in pg-full-store.ts). */
export class PgJobStoreBase implements BaseJobStore, ChangeFeed {
  private readonly logger: Logger;
  private readonly options: PostgresJobStoreOptions;
  private pool: pg.Pool | undefined;
  private feed: PgChangeListener | undefined;
  private closed = false;
  private offsetMs = 0;
  private offsetTimer: NodeJS.Timeout | undefined;
  /** The report path's writes, committed in groups. */
  protected readonly writes: PgWriteBatcher;
  private readonly reads: ReportReads;

  /** The database clock as the manager reads it: local time plus the measured offset to the server's. */
  readonly clock: Clock = { now: () => new Date(Date.now() + this.offsetMs) };

  /** Remembers the URL; does no I/O (see init). */
  constructor(
    private readonly url: string,
    options: PostgresJobStoreOptions = {},
  ) {
    this.options = options;
    this.logger = options.logger ?? createSilentLogger();
    // Batches of writes issued before close() still run while it waits for them.
    const batchPool = () => {
      if (!this.pool) throw new Error('store is closed');
      return this.pool;
    };
    this.writes = new PgWriteBatcher(batchPool, {
      grouped: options.groupCommit ?? true,
      ...(options.batchesInFlight !== undefined ? { maxInFlight: options.batchesInFlight } : {}),
    });
    this.reads = new ReportReads(() => this.use());
  }

  /** Group-commit batches of more than one write committed so far (tests). */
  get batchesCommitted(): number {
    return this.writes.batches;
  }

  /** Connects, migrates (under an advisory lock) and measures the clock offset. Idempotent. */
  async init(): Promise<void> {
    if (this.closed) throw new Error('store is closed');
    if (this.pool) return;
    const pool = createPool(this.url, { max: this.options.maxConnections ?? 10 });
    pool.on('error', (err) => this.logger.warn(`PostgreSQL connection lost: ${err.message}`));
    try {
      const client = await pool.connect();
      try {
        await migrate(client);
      } finally {
        client.release();
      }
      this.pool = pool;
      await this.measureClock();
    } catch (err) {
      this.pool = undefined;
      await pool.end().catch(() => undefined);
      throw err;
    }
    this.offsetTimer = setInterval(() => void this.measureClock().catch(() => undefined), 30_000);
    this.offsetTimer.unref();
    this.feed = new PgChangeListener(this.url, this.logger);
  }

  private async measureClock(): Promise<void> {
    const t0 = Date.now();
    const { rows } = await this.use().query<{ ms: number }>('SELECT (extract(epoch from clock_timestamp()) * 1000)::bigint AS ms');
    const t1 = Date.now();
    this.offsetMs = rows[0]!.ms - Math.round((t0 + t1) / 2);
  }

  protected use(): pg.Pool {
    if (this.closed) throw new Error('store is closed');
    if (!this.pool) throw new Error('store is not initialised: call and await init() before using it');
    return this.pool;
  }

  protected async write<T>(fn: (db: Queryable) => Promise<T>, begins = false): Promise<T> {
    try {
      return await inTransaction(this.use(), fn, begins);
    } catch (err) {
      throw translatePgError(err, 'of this manager');
    }
  }

  protected static async announce(db: Queryable, change: StoreChange): Promise<void> {
    await db.query(NOTIFY_SQL, [changeText(change)]);
  }

  /** A cheap real read of both tables. */
  async healthCheck(): Promise<void> {
    await this.use().query('SELECT (SELECT 1 FROM workers LIMIT 1), (SELECT 1 FROM mirror_status LIMIT 1)');
  }

  /**
   * The database's current snapshot (`xmin:xmax:in-progress`): equal values
   * see the same committed transactions, whichever manager wrote them, so
   * `GET /jobs` is reused only while no one has committed anything.
   */
  async generation(): Promise<string> {
    return (await this.use().query<{ g: string }>('SELECT pg_current_snapshot()::text AS g')).rows[0]!.g;
  }

  /** Calls `listener` after each change by any manager on this database; `resync` after a reconnect. */
  watchChanges(listener: (change: StoreChange) => void): () => void {
    this.use();
    return this.feed!.watch(listener);
  }

  /** The change feed's listener (tests drop its connection). */
  get changeListener(): PgChangeListener | undefined {
    return this.feed;
  }

  /** Every registered worker, ordered by id. */
  async listWorkers(): Promise<WorkerStatus[]> {
    return (await this.use().query<WorkerRow>('SELECT * FROM workers ORDER BY id')).rows.map(toWorker);
  }

  /** One worker, or undefined when not registered (the reads of one turn of the event loop share one query). */
  async getWorker(workerId: string): Promise<WorkerStatus | undefined> {
    this.use();
    const row = await this.reads.worker(workerId);
    return row ? toWorker(row) : undefined;
  }

  /** Inserts or replaces a worker; returns what was stored. */
  async createWorker(worker: WorkerStatus): Promise<WorkerStatus> {
    const row = await this.write(async (db) => {
      const { rows } = await db.query<WorkerRow>(
        `INSERT INTO workers (id, url, token, last_online, last_register) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (id) DO UPDATE SET url = excluded.url, token = excluded.token,
           last_online = excluded.last_online, last_register = excluded.last_register
         RETURNING *`,
        [worker.id, worker.url, worker.token, worker.lastOnline.getTime(), worker.lastRegister.getTime()],
      );
      await PgJobStoreBase.announce(db, { kind: 'worker', worker: worker.id });
      return rows[0]!;
    });
    return toWorker(row);
  }

  /** Sets a worker's `last_online`, in the next group commit; undefined when not registered. */
  async refreshWorker(workerId: string, at: Date): Promise<WorkerStatus | undefined> {
    this.use();
    return this.writes.refreshWorker(workerId, at);
  }

  /** Removes a worker (its jobs stay, as in tunasync). */
  async deleteWorker(workerId: string): Promise<boolean> {
    return this.write(async (db) => {
      const { rowCount } = await db.query('DELETE FROM workers WHERE id = $1', [workerId]);
      if (rowCount) await PgJobStoreBase.announce(db, { kind: 'worker', worker: workerId });
      return (rowCount ?? 0) > 0;
    });
  }

  /** One job's status, or undefined (the reads of one turn of the event loop share one query). */
  async getMirrorStatus(workerId: string, mirrorId: string): Promise<MirrorStatus | undefined> {
    this.use();
    const row = await this.reads.status(workerId, mirrorId);
    return row ? toStatus(row) : undefined;
  }

  /**
   * Reads the job's row under its lock, computes the next status, writes it,
   * applies the run step and announces the change, all in one transaction,
   * shared with the other reports of the same group commit
   * (pg-write-batch.ts); resolves after the COMMIT. A new job whose insert
   * loses a race re-reads the winner's row and merges into it. When `update`
   * or `run` throws, nothing of this report is written.
   */
  async updateMirrorStatus(
    workerId: string,
    mirrorId: string,
    update: (previous: MirrorStatus | undefined) => MirrorStatus,
    run?: (previous: MirrorStatus | undefined, next: MirrorStatus) => RunHistoryStep | undefined,
  ): Promise<MirrorStatus> {
    this.use();
    return this.writes.updateStatus(workerId, mirrorId, update, run);
  }

  /** A worker's jobs, ordered by name. */
  async listMirrorStatus(workerId: string): Promise<MirrorStatus[]> {
    return (await this.use().query<StatusRow>('SELECT * FROM mirror_status WHERE worker = $1 ORDER BY name', [workerId])).rows.map(toStatus);
  }

  /** How many jobs a worker has (the reads of one turn of the event loop share one query). */
  async countMirrorStatus(workerId: string): Promise<number> {
    this.use();
    return this.reads.count(workerId);
  }

  /** Every job of every worker, ordered by worker then name. */
  async listAllMirrorStatus(): Promise<MirrorStatus[]> {
    return (await this.use().query<StatusRow>('SELECT * FROM mirror_status ORDER BY worker, name')).rows.map(toStatus);
  }

  /** One statement for all jobs. */
  async setSchedules(workerId: string, schedules: MirrorSchedule[]): Promise<number> {
    if (schedules.length === 0) return 0;
    return this.write(async (db) => {
      const { rowCount } = await db.query(
        `UPDATE mirror_status m SET next_schedule = s.at FROM unnest($2::text[], $3::bigint[]) AS s(name, at)
         WHERE m.worker = $1 AND m.name = s.name`,
        [workerId, schedules.map((s) => s.name), schedules.map((s) => s.nextSchedule.getTime())],
      );
      if (rowCount) await PgJobStoreBase.announce(db, { kind: 'worker', worker: workerId });
      return rowCount ?? 0;
    });
  }

  /** Deletes one job's status; false when it was not there. */
  async deleteMirrorStatus(workerId: string, mirrorId: string): Promise<boolean> {
    return this.write(async (db) => {
      const { rowCount } = await db.query('DELETE FROM mirror_status WHERE worker = $1 AND name = $2', [workerId, mirrorId]);
      if (rowCount) await PgJobStoreBase.announce(db, { kind: 'status', worker: workerId, mirror: mirrorId });
      return (rowCount ?? 0) > 0;
    });
  }

  /** Deletes every disabled job; returns how many. */
  async flushDisabledJobs(): Promise<number> {
    return this.write(async (db) => {
      const { rows } = await db.query<{ worker: string; name: string }>("DELETE FROM mirror_status WHERE status = 'disabled' RETURNING worker, name");
      for (const r of rows) await PgJobStoreBase.announce(db, { kind: 'status', worker: r.worker, mirror: r.name });
      return rows.length;
    });
  }

  /** A mirror's runs, newest first (see JobStore.listRuns). */
  async listRuns(mirror: string, query: RunQuery): Promise<RunRecord[]> {
    return runs.listRuns(this.use(), mirror, query);
  }

  /** One run of a mirror (on `worker` when given), or undefined. */
  async getRun(mirror: string, runId: string, worker?: string): Promise<RunRecord | undefined> {
    return runs.getRun(this.use(), mirror, runId, worker);
  }

  /** Deletes one job's runs beyond the newest `keep` and those started before `olderThan`. */
  async pruneRuns(workerId: string, mirrorId: string, retention: { keep: number; olderThan: Date }): Promise<number> {
    return this.write((db) => runs.pruneJob(db, workerId, mirrorId, retention.keep, retention.olderThan.getTime()));
  }

  /** Deletes at most `limit` runs (of any job) started before `olderThan`. */
  async pruneOldRuns(olderThan: Date, limit: number): Promise<number> {
    return this.write((db) => runs.pruneOld(db, olderThan.getTime(), limit));
  }

  /** Stops the feed and ends the pool; further calls fail. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.offsetTimer) clearInterval(this.offsetTimer);
    // Writes already issued are committed (or fail) before the pool ends.
    await this.writes.drain();
    await this.feed?.close();
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end().catch(() => undefined);
  }
}
