/**
 * The default JobStore: one SQLite file through better-sqlite3, in WAL mode,
 * with prepared statements. Every write is atomic on its own (a savepoint),
 * and writes issued together are committed together (group commit, see
 * WriteBatcher); a write's promise settles only after its COMMIT. Reads run
 * at once on the last committed state. better-sqlite3 is synchronous; the
 * async methods let network stores fit the same interface.
 */
import Database from 'better-sqlite3';
import type { JobStore, MirrorSchedule, MirrorStatus, SyncStatus, WorkerStatus } from '@tunasync/core';
import { migrate } from './migrations.js';
import { WriteBatcher } from './write-batcher.js';

/** Options of SqliteJobStore. */
export interface SqliteJobStoreOptions {
  /**
   * `PRAGMA synchronous`: `full` (default) syncs the WAL on every commit, so a
   * report that was answered survives a power cut; `normal` is faster and
   * still safe against a crash of the process.
   */
  synchronous?: 'full' | 'normal';
  /** How long to wait for another process's lock, in ms (default 5000). */
  busyTimeoutMs?: number;
  /**
   * Group commit (default true): writes issued together share one transaction
   * and one sync; each still resolves only once committed. False gives each
   * write its own transaction.
   */
  groupCommit?: boolean;
}

interface WorkerRow {
  id: string;
  url: string;
  token: string;
  last_online: number;
  last_register: number;
}

interface StatusRow {
  worker: string;
  name: string;
  is_master: number;
  status: string;
  last_update: number;
  last_started: number;
  last_ended: number;
  next_schedule: number;
  upstream: string;
  size: string;
  error_msg: string;
}

function toWorker(r: WorkerRow): WorkerStatus {
  return {
    id: r.id,
    url: r.url,
    token: r.token,
    lastOnline: new Date(r.last_online),
    lastRegister: new Date(r.last_register),
  };
}

function toStatus(r: StatusRow): MirrorStatus {
  return {
    name: r.name,
    worker: r.worker,
    isMaster: r.is_master !== 0,
    status: r.status as SyncStatus,
    lastUpdate: new Date(r.last_update),
    lastStarted: new Date(r.last_started),
    lastEnded: new Date(r.last_ended),
    nextSchedule: new Date(r.next_schedule),
    upstream: r.upstream,
    size: r.size,
    errorMsg: r.error_msg,
  };
}

/** A status row in raw (array) mode, columns in STATUS_COLUMNS order: twice as fast for long lists. */
type RawStatusRow = [string, string, number, string, number, number, number, number, string, string, string];

function rawToStatus(r: RawStatusRow): MirrorStatus {
  return {
    name: r[1],
    worker: r[0],
    isMaster: r[2] !== 0,
    status: r[3] as SyncStatus,
    lastUpdate: new Date(r[4]),
    lastStarted: new Date(r[5]),
    lastEnded: new Date(r[6]),
    nextSchedule: new Date(r[7]),
    upstream: r[8],
    size: r[9],
    errorMsg: r[10],
  };
}

function statusParams(s: MirrorStatus): StatusRow {
  return {
    worker: s.worker,
    name: s.name,
    is_master: s.isMaster ? 1 : 0,
    status: s.status,
    last_update: s.lastUpdate.getTime(),
    last_started: s.lastStarted.getTime(),
    last_ended: s.lastEnded.getTime(),
    next_schedule: s.nextSchedule.getTime(),
    upstream: s.upstream,
    size: s.size,
    error_msg: s.errorMsg,
  };
}

function copyStatus(s: MirrorStatus): MirrorStatus {
  return {
    ...s,
    lastUpdate: new Date(s.lastUpdate),
    lastStarted: new Date(s.lastStarted),
    lastEnded: new Date(s.lastEnded),
    nextSchedule: new Date(s.nextSchedule),
  };
}

const STATUS_COLUMNS =
  'worker, name, is_master, status, last_update, last_started, last_ended, next_schedule, upstream, size, error_msg';

function prepareStatements(db: Database.Database) {
  return {
    listWorkers: db.prepare<[], WorkerRow>('SELECT * FROM workers ORDER BY id'),
    getWorker: db.prepare<[string], WorkerRow>('SELECT * FROM workers WHERE id = ?'),
    upsertWorker: db.prepare<[WorkerRow]>(
      `INSERT INTO workers (id, url, token, last_online, last_register)
       VALUES (@id, @url, @token, @last_online, @last_register)
       ON CONFLICT (id) DO UPDATE SET url = excluded.url, token = excluded.token,
         last_online = excluded.last_online, last_register = excluded.last_register`,
    ),
    refreshWorker: db.prepare<[number, string], WorkerRow>('UPDATE workers SET last_online = ? WHERE id = ? RETURNING *'),
    deleteWorker: db.prepare<[string]>('DELETE FROM workers WHERE id = ?'),
    deleteStatus: db.prepare<[string, string]>('DELETE FROM mirror_status WHERE worker = ? AND name = ?'),
    getStatus: db.prepare<[string, string], StatusRow>('SELECT * FROM mirror_status WHERE worker = ? AND name = ?'),
    upsertStatus: db.prepare<[StatusRow]>(
      `INSERT OR REPLACE INTO mirror_status (${STATUS_COLUMNS})
       VALUES (@worker, @name, @is_master, @status, @last_update, @last_started, @last_ended,
               @next_schedule, @upstream, @size, @error_msg)`,
    ),
    listStatus: db
      .prepare<[string], RawStatusRow>(`SELECT ${STATUS_COLUMNS} FROM mirror_status WHERE worker = ? ORDER BY name`)
      .raw(true),
    listAllStatus: db.prepare<[], RawStatusRow>(`SELECT ${STATUS_COLUMNS} FROM mirror_status ORDER BY worker, name`).raw(true),
    setSchedule: db.prepare<[number, string, string]>(
      'UPDATE mirror_status SET next_schedule = ? WHERE worker = ? AND name = ?',
    ),
    flushDisabled: db.prepare<[string]>('DELETE FROM mirror_status WHERE status = ?'),
  };
}

/** JobStore on a SQLite file (or `:memory:`). */
export class SqliteJobStore implements JobStore {
  /** The database file this store was opened on. */
  readonly file: string;
  private readonly db: Database.Database;
  private readonly stmt: ReturnType<typeof prepareStatements>;
  private readonly writes: WriteBatcher;
  private closed = false;
  private commits = 0;

  /** Opens (creating if needed) and migrates the database at `file`. */
  constructor(file: string, options: SqliteJobStoreOptions = {}) {
    this.file = file;
    this.db = new Database(file, { timeout: options.busyTimeoutMs ?? 5000 });
    try {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
      this.db.pragma('foreign_keys = ON');
      migrate(this.db);
    } catch (err) {
      this.db.close();
      throw err;
    }
    this.stmt = prepareStatements(this.db);
    this.writes = new WriteBatcher(this.db, options.groupCommit ?? true, () => this.commits++);
  }

  private check(): void {
    if (this.closed) throw new Error(`store ${this.file} is closed`);
  }

  /** Opens the store (today the constructor still opens the file; see issue 13). */
  async init(): Promise<void> {
    this.check();
  }

  /** A cheap read proving the database answers. */
  async healthCheck(): Promise<void> {
    this.check();
    this.db.prepare('SELECT count(*) FROM sqlite_master').get();
  }

  /**
   * A token that changes whenever the data may have changed: after this
   * store's own commits and after another connection's (`PRAGMA
   * data_version`). The manager uses it to reuse its `/jobs` answer.
   */
  generation(): string {
    this.check();
    return `${this.commits}.${String(this.db.pragma('data_version', { simple: true }))}`;
  }

  /** Every registered worker, ordered by id. */
  async listWorkers(): Promise<WorkerStatus[]> {
    this.check();
    return this.stmt.listWorkers.all().map(toWorker);
  }

  /** One worker, or undefined when not registered. */
  async getWorker(workerId: string): Promise<WorkerStatus | undefined> {
    this.check();
    const row = this.stmt.getWorker.get(workerId);
    return row ? toWorker(row) : undefined;
  }

  /** Inserts or replaces a worker; returns what was stored. */
  async createWorker(worker: WorkerStatus): Promise<WorkerStatus> {
    this.check();
    const row: WorkerRow = {
      id: worker.id,
      url: worker.url,
      token: worker.token,
      last_online: worker.lastOnline.getTime(),
      last_register: worker.lastRegister.getTime(),
    };
    await this.writes.run(() => this.stmt.upsertWorker.run(row));
    return toWorker(row);
  }

  /** Sets a worker's `last_online`; undefined when the worker is not registered. */
  async refreshWorker(workerId: string, at: Date): Promise<WorkerStatus | undefined> {
    this.check();
    const row = await this.writes.run(() => this.stmt.refreshWorker.get(at.getTime(), workerId));
    return row ? toWorker(row) : undefined;
  }

  /** Removes a worker; its jobs stay, as in tunasync. */
  async deleteWorker(workerId: string): Promise<boolean> {
    this.check();
    return this.writes.run(() => this.stmt.deleteWorker.run(workerId).changes > 0);
  }

  /** One job's status, or undefined. */
  async getMirrorStatus(workerId: string, mirrorId: string): Promise<MirrorStatus | undefined> {
    this.check();
    const row = this.stmt.getStatus.get(workerId, mirrorId);
    return row ? toStatus(row) : undefined;
  }

  /**
   * Reads, updates and writes a job's status atomically, inside the write
   * transaction (so concurrent managers on the same file serialise). The stored status
   * always carries `workerId` and `mirrorId` as its `worker` and `name`.
   * When `update` throws, nothing is written.
   */
  async updateMirrorStatus(
    workerId: string,
    mirrorId: string,
    update: (previous: MirrorStatus | undefined) => MirrorStatus,
  ): Promise<MirrorStatus> {
    this.check();
    return this.writes.run(() => {
      const row = this.stmt.getStatus.get(workerId, mirrorId);
      const next = update(row ? toStatus(row) : undefined);
      const stored = { ...copyStatus(next), worker: workerId, name: mirrorId };
      this.stmt.upsertStatus.run(statusParams(stored));
      return stored;
    });
  }

  /** A worker's jobs, ordered by name. */
  async listMirrorStatus(workerId: string): Promise<MirrorStatus[]> {
    this.check();
    return this.stmt.listStatus.all(workerId).map(rawToStatus);
  }

  /** Every job of every worker, ordered by worker then name. */
  async listAllMirrorStatus(): Promise<MirrorStatus[]> {
    this.check();
    return this.stmt.listAllStatus.all().map(rawToStatus);
  }

  /** Sets `next_schedule` of each known job in one transaction; returns how many changed. */
  async setSchedules(workerId: string, schedules: MirrorSchedule[]): Promise<number> {
    this.check();
    return this.writes.run(() => {
      let n = 0;
      for (const s of schedules) n += this.stmt.setSchedule.run(s.nextSchedule.getTime(), workerId, s.name).changes;
      return n;
    });
  }

  /** Deletes one job's status; false when it was not there. */
  async deleteMirrorStatus(workerId: string, mirrorId: string): Promise<boolean> {
    this.check();
    return this.writes.run(() => this.stmt.deleteStatus.run(workerId, mirrorId).changes > 0);
  }

  /** Deletes every job whose status is `disabled`; returns how many. */
  async flushDisabledJobs(): Promise<number> {
    this.check();
    return this.writes.run(() => this.stmt.flushDisabled.run('disabled').changes);
  }

  /** Checkpoints the WAL and closes the file; further calls fail. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      this.writes.flush();
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      this.db.close();
    }
  }
}
