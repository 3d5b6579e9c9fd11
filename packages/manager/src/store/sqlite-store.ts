/**
 * The default JobStore: one SQLite file through better-sqlite3, in WAL mode,
 * with prepared statements. The constructor does no I/O; `init()` opens,
 * checks (`PRAGMA quick_check`) and migrates the file (see sqlite-file.ts). Every write is atomic on its own (a savepoint),
 * and writes issued together are committed together (group commit, see
 * WriteBatcher); a write's promise settles only after its COMMIT. Reads run
 * at once on the last committed state. better-sqlite3 is synchronous; the
 * async methods let network stores fit the same interface.
 */
import type Database from 'better-sqlite3';
import type {
  ChangeFeed,
  Clock,
  JobMeta,
  JobStats,
  JobStore,
  MirrorSchedule,
  MirrorStatus,
  RunQuery,
  RunRecord,
  RunHistoryStep,
  StoreChange,
  WorkerStatus,
} from '@tunasync/core';
import { ChangeEmitter } from './change-emitter.js';
import { StatusTables, copyStatus } from './sqlite-statements.js';
import { translateWriteError } from './errors.js';
import { openSqliteDatabase, type SqliteOpenOptions } from './sqlite-file.js';
import { OpsTables } from './sqlite-ops.js';
import { SqliteOpsMethods } from './sqlite-ops-methods.js';
import { RunTable } from './sqlite-runs.js';
import { JobStatsTable } from './sqlite-stats.js';
import { WriteBatcher } from './write-batcher.js';

/** Options of SqliteJobStore. */
export interface SqliteJobStoreOptions extends SqliteOpenOptions {
  /**
   * Group commit (default true): writes issued together share one transaction
   * and one sync; each still resolves only once committed. False gives each
   * write its own transaction.
   */
  groupCommit?: boolean;
  /** The store's clock: times of the notification queue, maintenance and leases (default: the system clock). */
  clock?: Clock;
}

/** JobStore on a SQLite file (or `:memory:`). */
export class SqliteJobStore extends SqliteOpsMethods implements JobStore, ChangeFeed {
  /** The database file this store was opened on. */
  readonly file: string;
  private readonly options: SqliteJobStoreOptions;
  private open?: {
    db: Database.Database;
    tables: StatusTables;
    writes: WriteBatcher;
    runs: RunTable;
    stats: JobStatsTable;
    ops: OpsTables;
  };
  private closed = false;
  private commits = 0;
  /** `PRAGMA data_version` as generation() last saw it: another connection's commit moves it. */
  private dataVersion: number | undefined;
  private readonly changes = new ChangeEmitter();

  /** Remembers where the database is; does no I/O (see init). */
  constructor(file: string, options: SqliteJobStoreOptions = {}) {
    super();
    this.file = file;
    this.options = { ...options };
  }

  /**
   * Opens (creating if needed), checks and migrates the database. Rejects
   * with a StoreOpenError naming the file when it is foreign (a Bolt file
   * from tunasync), corrupt (with how to recover) or unreadable. Idempotent.
   */
  async init(): Promise<void> {
    this.initSync();
  }

  private initSync(): void {
    if (this.closed) throw new Error(`store ${this.file} is closed`);
    if (this.open) return;
    const db = openSqliteDatabase(this.file, this.options);
    const stats = new JobStatsTable(db);
    this.open = {
      db,
      tables: new StatusTables(db),
      stats,
      runs: new RunTable(db, stats),
      ops: new OpsTables(db, () => (this.options.clock ? this.options.clock.now().getTime() : Date.now())),
      writes: new WriteBatcher(db, this.options.groupCommit ?? true, () => this.commits++),
    };
  }

  /** The open database, or a clear error when closed or not initialised. */
  private use(): NonNullable<SqliteJobStore['open']> {
    if (this.closed) throw new Error(`store ${this.file} is closed`);
    if (!this.open) throw new Error(`store ${this.file} is not initialised: call and await init() before using it`);
    return this.open;
  }

  /** The queue, maintenance and lease tables (SqliteOpsMethods). */
  protected ops(): OpsTables {
    return this.use().ops;
  }

  /** Runs `op` as a write in the next group commit (SqliteOpsMethods); `changed` as for write(). */
  protected writeOp<T>(op: () => T, changed?: (result: T) => StoreChange[]): Promise<T> {
    return this.write(op, changed);
  }

  /**
   * Runs a write in the next group commit; SQLITE_FULL becomes
   * StorageFullError. Once it committed, `changed(result)` names what it
   * changed for the change feed (only called when someone watches).
   */
  private async write<T>(
    op: (tables: StatusTables) => T,
    changed?: (result: T) => StoreChange[],
  ): Promise<T> {
    const { writes, tables } = this.use();
    let result: T;
    try {
      result = await writes.run(() => op(tables));
    } catch (err) {
      throw translateWriteError(err, this.file);
    }
    if (changed && this.changes.active) for (const c of changed(result)) this.changes.emit(c);
    return result;
  }

  /**
   * The change feed (core `ChangeFeed`): `listener` is called after each
   * committed write of workers, statuses, schedules or job metadata of this
   * store. Writes by another process on the same file are announced as a
   * `resync` when generation() notices them.
   */
  watchChanges(listener: (change: StoreChange) => void): () => void {
    return this.changes.watch(listener);
  }

  /** A cheap real read (the schema and both tables' first page); rejects when the database cannot answer. */
  async healthCheck(): Promise<void> {
    this.use().tables.health();
  }

  /**
   * A token that changes whenever the data may have changed: after this
   * store's own commits and after another connection's (`PRAGMA
   * data_version`). The manager uses it to reuse its `/jobs` answer.
   */
  generation(): string {
    const version = Number(this.use().db.pragma('data_version', { simple: true }));
    if (this.dataVersion !== undefined && version !== this.dataVersion && this.changes.active) this.changes.emit({ kind: 'resync' });
    this.dataVersion = version;
    return `${this.commits}.${version}`;
  }

  /** Every registered worker, ordered by id. */
  async listWorkers(): Promise<WorkerStatus[]> {
    return this.use().tables.listWorkers();
  }

  /** One worker, or undefined when not registered. */
  async getWorker(workerId: string): Promise<WorkerStatus | undefined> {
    return this.use().tables.getWorker(workerId);
  }

  /** Inserts or replaces a worker; returns what was stored. */
  async createWorker(worker: WorkerStatus): Promise<WorkerStatus> {
    return this.write((t) => t.putWorker(worker), () => [{ kind: 'worker', worker: worker.id }]);
  }

  /** Sets a worker's `last_online`; undefined when the worker is not registered. */
  async refreshWorker(workerId: string, at: Date): Promise<WorkerStatus | undefined> {
    return this.write(
      (t) => t.refreshWorker(workerId, at.getTime()),
      (w) => (w ? [{ kind: 'worker', worker: workerId }] : []),
    );
  }

  /** Removes a worker; its jobs stay, as in tunasync. */
  async deleteWorker(workerId: string): Promise<boolean> {
    return this.write(
      (t) => t.deleteWorker(workerId),
      (gone) => (gone ? [{ kind: 'worker', worker: workerId }] : []),
    );
  }

  /** One job's status, or undefined. */
  async getMirrorStatus(workerId: string, mirrorId: string): Promise<MirrorStatus | undefined> {
    return this.use().tables.getStatus(workerId, mirrorId);
  }

  /**
   * Reads, updates and writes a job's status atomically, inside the write
   * transaction (so concurrent managers on the same file serialise). The stored status
   * always carries `workerId` and `mirrorId` as its `worker` and `name`.
   * When `update` throws, nothing is written. The run history step of `run`
   * is applied in the same savepoint.
   */
  async updateMirrorStatus(
    workerId: string,
    mirrorId: string,
    update: (previous: MirrorStatus | undefined) => MirrorStatus,
    run?: (previous: MirrorStatus | undefined, next: MirrorStatus) => RunHistoryStep | undefined,
  ): Promise<MirrorStatus> {
    const runs = this.use().runs;
    return this.write((t) => {
      const previous = t.getStatus(workerId, mirrorId);
      const next = update(previous);
      const stored = { ...copyStatus(next), worker: workerId, name: mirrorId };
      const step = run?.(previous, stored);
      t.putStatus(stored);
      if (step) runs.apply(workerId, mirrorId, step);
      return stored;
    }, () => [{ kind: 'status', worker: workerId, mirror: mirrorId }]);
  }

  /** A mirror's runs, newest first. */
  async listRuns(mirror: string, query: RunQuery): Promise<RunRecord[]> {
    return this.use().runs.list(mirror, query);
  }

  /** One run of a mirror (on `worker` when given), or undefined. */
  async getRun(mirror: string, runId: string, worker?: string): Promise<RunRecord | undefined> {
    return this.use().runs.get(mirror, runId, worker);
  }

  /** Deletes one job's runs beyond the newest `keep` and those started before `olderThan`. */
  async pruneRuns(workerId: string, mirrorId: string, retention: { keep: number; olderThan: Date }): Promise<number> {
    const runs = this.use().runs;
    return this.write(() => runs.pruneJob(workerId, mirrorId, retention.keep, retention.olderThan.getTime()));
  }

  /** Deletes at most `limit` runs (of any job) started before `olderThan`. */
  async pruneOldRuns(olderThan: Date, limit: number): Promise<number> {
    const runs = this.use().runs;
    return this.write(() => runs.pruneOld(olderThan.getTime(), limit));
  }

  /** Every job's run counters (kept in the transaction that closes a run), by worker then mirror. */
  async listJobStats(): Promise<JobStats[]> {
    return this.use().stats.list();
  }

  /** One job's run counters; zeros when no run of it closed. */
  async getJobStats(workerId: string, mirrorId: string): Promise<JobStats> {
    return this.use().stats.get(workerId, mirrorId);
  }

  /** Stores what a worker said about its jobs (stale_after, interval), replacing each named job's. */
  async setJobMeta(workerId: string, metas: Omit<JobMeta, 'worker'>[]): Promise<void> {
    const stats = this.use().stats;
    await this.write(() => stats.setMeta(workerId, metas), (names) => names.map((mirror): StoreChange => ({ kind: 'status', worker: workerId, mirror })));
  }

  /** Every job's metadata, by worker then mirror. */
  async listJobMeta(): Promise<JobMeta[]> {
    return this.use().stats.listMeta();
  }

  /** One job's metadata, or undefined. */
  async getJobMeta(workerId: string, mirrorId: string): Promise<JobMeta | undefined> {
    return this.use().stats.getMeta(workerId, mirrorId);
  }

  /** A worker's jobs, ordered by name. */
  async listMirrorStatus(workerId: string): Promise<MirrorStatus[]> {
    return this.use().tables.listStatus(workerId);
  }

  /** How many jobs a worker has. */
  async countMirrorStatus(workerId: string): Promise<number> {
    return this.use().tables.countStatus(workerId);
  }

  /** Every job of every worker, ordered by worker then name. */
  async listAllMirrorStatus(): Promise<MirrorStatus[]> {
    return this.use().tables.listAllStatus();
  }

  /** Sets `next_schedule` of each known job in one transaction; returns how many changed. */
  async setSchedules(workerId: string, schedules: MirrorSchedule[]): Promise<number> {
    return this.write((t) => {
      const names: string[] = [];
      for (const s of schedules) if (t.setSchedule(workerId, s.name, s.nextSchedule.getTime())) names.push(s.name);
      return names;
    }, (names) => names.map((mirror): StoreChange => ({ kind: 'status', worker: workerId, mirror }))).then((names) => names.length);
  }

  /** Deletes one job's status; false when it was not there. */
  async deleteMirrorStatus(workerId: string, mirrorId: string): Promise<boolean> {
    return this.write(
      (t) => t.deleteStatus(workerId, mirrorId),
      (gone) => (gone ? [{ kind: 'status', worker: workerId, mirror: mirrorId }] : []),
    );
  }

  /** Deletes every job whose status is `disabled`; returns how many. */
  async flushDisabledJobs(): Promise<number> {
    return this.write(
      (t) => t.flushDisabled(),
      (n) => (n > 0 ? [{ kind: 'resync' }] : []),
    );
  }

  /** Commits what is queued, checkpoints the WAL and closes the file; further calls fail. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const open = this.open;
    if (!open) return;
    this.open = undefined;
    try {
      open.writes.flush();
      // Best effort: on a full disk the WAL stays, and the next open replays it.
      open.db.pragma('wal_checkpoint(TRUNCATE)');
    } catch {
      // the data is safe in the WAL
    } finally {
      open.db.close();
    }
  }
}
