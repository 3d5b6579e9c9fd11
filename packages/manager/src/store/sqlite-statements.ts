/**
 * The SQLite store's `workers` and `mirror_status` tables: their rows, the
 * conversions to and from core's types, and the prepared statements, behind
 * StatusTables (used by sqlite-store.ts, which runs writes in its group
 * commit and announces changes).
 */
import type Database from 'better-sqlite3';
import type { MirrorStatus, SyncStatus, WorkerStatus } from '@tunasync/core';

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

export function copyStatus(s: MirrorStatus): MirrorStatus {
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
    countStatus: db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM mirror_status WHERE worker = ?'),
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
    health: db.prepare<[], unknown>(
      'SELECT (SELECT count(*) FROM sqlite_master), (SELECT 1 FROM workers LIMIT 1), (SELECT 1 FROM mirror_status LIMIT 1)',
    ),
  };
}

/** The `workers` and `mirror_status` tables of one open database. Writes must run inside the store's write. */
export class StatusTables {
  private readonly stmt;

  constructor(db: Database.Database) {
    this.stmt = prepareStatements(db);
  }

  /** Reads the schema and both tables' first page; throws when the database cannot answer. */
  health(): void {
    this.stmt.health.get();
  }

  /** Every worker, by id. */
  listWorkers(): WorkerStatus[] {
    return this.stmt.listWorkers.all().map(toWorker);
  }

  /** One worker, or undefined. */
  getWorker(id: string): WorkerStatus | undefined {
    const row = this.stmt.getWorker.get(id);
    return row ? toWorker(row) : undefined;
  }

  /** Inserts or replaces a worker; returns it as stored (times to the millisecond). */
  putWorker(worker: WorkerStatus): WorkerStatus {
    const row: WorkerRow = {
      id: worker.id,
      url: worker.url,
      token: worker.token,
      last_online: worker.lastOnline.getTime(),
      last_register: worker.lastRegister.getTime(),
    };
    this.stmt.upsertWorker.run(row);
    return toWorker(row);
  }

  /** Sets a worker's last_online; undefined when it is not registered. */
  refreshWorker(id: string, atMs: number): WorkerStatus | undefined {
    const row = this.stmt.refreshWorker.get(atMs, id);
    return row ? toWorker(row) : undefined;
  }

  /** Removes a worker; false when it was not there. */
  deleteWorker(id: string): boolean {
    return this.stmt.deleteWorker.run(id).changes > 0;
  }

  /** One job's status, or undefined. */
  getStatus(worker: string, name: string): MirrorStatus | undefined {
    const row = this.stmt.getStatus.get(worker, name);
    return row ? toStatus(row) : undefined;
  }

  /** Inserts or replaces a job's status. */
  putStatus(s: MirrorStatus): void {
    this.stmt.upsertStatus.run(statusParams(s));
  }

  /** A worker's jobs, by name. */
  listStatus(worker: string): MirrorStatus[] {
    return this.stmt.listStatus.all(worker).map(rawToStatus);
  }

  /** How many jobs a worker has. */
  countStatus(worker: string): number {
    return this.stmt.countStatus.get(worker)!.n;
  }

  /** Every job, by worker then name. */
  listAllStatus(): MirrorStatus[] {
    return this.stmt.listAllStatus.all().map(rawToStatus);
  }

  /** Sets a job's next_schedule; false when the job is unknown. */
  setSchedule(worker: string, name: string, atMs: number): boolean {
    return this.stmt.setSchedule.run(atMs, worker, name).changes > 0;
  }

  /** Deletes a job's status; false when it was not there. */
  deleteStatus(worker: string, name: string): boolean {
    return this.stmt.deleteStatus.run(worker, name).changes > 0;
  }

  /** Deletes every job whose status is `disabled`; returns how many. */
  flushDisabled(): number {
    return this.stmt.flushDisabled.run('disabled').changes;
  }
}
