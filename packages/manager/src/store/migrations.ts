/**
 * The SQLite schema, as an ordered list of migrations. A database records
 * which versions it has in `schema_version`; opening it applies the missing
 * ones in one transaction. Never edit a released migration: append one.
 */
import type Database from 'better-sqlite3';

/** One schema step. */
export interface Migration {
  /** Strictly increasing, starting at 1. */
  version: number;
  /** What it does, stored beside the version. */
  description: string;
  /** SQL run inside the migration transaction. */
  sql: string;
}

/** Every migration, oldest first. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'workers and mirror_status tables',
    sql: `
      CREATE TABLE workers (
        id            TEXT PRIMARY KEY NOT NULL,
        url           TEXT NOT NULL,
        token         TEXT NOT NULL,
        last_online   INTEGER NOT NULL,
        last_register INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE mirror_status (
        worker        TEXT NOT NULL,
        name          TEXT NOT NULL,
        is_master     INTEGER NOT NULL,
        status        TEXT NOT NULL,
        last_update   INTEGER NOT NULL,
        last_started  INTEGER NOT NULL,
        last_ended    INTEGER NOT NULL,
        next_schedule INTEGER NOT NULL,
        upstream      TEXT NOT NULL,
        size          TEXT NOT NULL,
        error_msg     TEXT NOT NULL,
        PRIMARY KEY (worker, name)
      ) WITHOUT ROWID;
      CREATE INDEX mirror_status_by_status ON mirror_status (status);
    `,
  },
  {
    version: 2,
    description: 'runs table (run history, issue 14)',
    sql: `
      CREATE TABLE runs (
        id                INTEGER PRIMARY KEY,
        run_id            TEXT NOT NULL,
        worker            TEXT NOT NULL,
        mirror            TEXT NOT NULL,
        trigger           TEXT NOT NULL,
        started_at        INTEGER NOT NULL,
        ended_at          INTEGER,
        duration_s        REAL,
        result            TEXT,
        attempts          INTEGER NOT NULL,
        exit_code         INTEGER,
        error_msg         TEXT NOT NULL,
        size              TEXT NOT NULL,
        transferred_bytes INTEGER,
        files_transferred INTEGER,
        log_file          TEXT
      );
      -- Three indexes only, each insert costs one page per index: history pages,
      -- worker filters, run-id lookups and per-job retention all scan a mirror's
      -- entries of runs_by_mirror without reading the table.
      CREATE INDEX runs_by_mirror ON runs (mirror, started_at, id, worker, run_id);
      CREATE INDEX runs_open ON runs (worker, mirror) WHERE result IS NULL;
      CREATE INDEX runs_by_start ON runs (started_at);
    `,
  },
  {
    version: 3,
    description: 'job_stats and job_meta tables (metrics and stale mirrors, issue 16)',
    sql: `
      -- One row per job, upserted in the transaction that closes a run.
      CREATE TABLE job_stats (
        worker                  TEXT NOT NULL,
        mirror                  TEXT NOT NULL,
        runs_total              INTEGER NOT NULL,
        failures_total          INTEGER NOT NULL,
        consecutive_failures    INTEGER NOT NULL,
        transferred_bytes_total INTEGER NOT NULL,
        last_result             TEXT,
        last_duration_s         REAL,
        last_transferred_bytes  INTEGER,
        PRIMARY KEY (worker, mirror)
      ) WITHOUT ROWID;
      -- What our worker says about a job with its schedules (stale_after, interval).
      CREATE TABLE job_meta (
        worker        TEXT NOT NULL,
        mirror        TEXT NOT NULL,
        stale_after_s REAL,
        interval_s    REAL,
        PRIMARY KEY (worker, mirror)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 4,
    description: 'notification queue, maintenance state and leases (issue 16)',
    sql: `
      CREATE TABLE notifications (
        id              INTEGER PRIMARY KEY,
        receiver        TEXT NOT NULL,
        dedupe_key      TEXT NOT NULL UNIQUE,
        payload         TEXT NOT NULL,
        created_at      INTEGER NOT NULL,
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        held            INTEGER NOT NULL DEFAULT 0,
        last_error      TEXT,
        claimed_by      TEXT,
        claimed_until   INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX notifications_due ON notifications (held, next_attempt_at, id);
      -- Keys of delivered and dead items, so an event fires once; old ones are pruned.
      CREATE TABLE notification_keys (
        dedupe_key TEXT PRIMARY KEY NOT NULL,
        done_at    INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX notification_keys_by_time ON notification_keys (done_at);
      CREATE TABLE maintenance (
        id      INTEGER PRIMARY KEY CHECK (id = 1),
        message TEXT NOT NULL,
        since   INTEGER NOT NULL,
        until   INTEGER
      );
      CREATE TABLE leases (
        name       TEXT PRIMARY KEY NOT NULL,
        holder     TEXT NOT NULL,
        expires_at INTEGER NOT NULL
      ) WITHOUT ROWID;
    `,
  },
];

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** Reads the database's schema version (0 for a new database). */
export function currentSchemaVersion(db: Database.Database): number {
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY NOT NULL, description TEXT NOT NULL, applied_at INTEGER NOT NULL)',
  );
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_version').get() as { v: number | null };
  return row.v ?? 0;
}

/**
 * Brings the database to SCHEMA_VERSION. Throws when the file was written by
 * a newer tunasync-ts (a schema this code does not know).
 */
export function migrate(db: Database.Database, now: () => number = Date.now): number {
  const run = db.transaction(() => {
    const current = currentSchemaVersion(db);
    if (current > SCHEMA_VERSION) {
      throw new Error(
        `database schema version ${current} is newer than this tunasync-ts understands (${SCHEMA_VERSION}); upgrade tunasync-ts`,
      );
    }
    const record = db.prepare('INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)');
    for (const m of MIGRATIONS) {
      if (m.version <= current) continue;
      db.exec(m.sql);
      record.run(m.version, m.description, now());
    }
    return SCHEMA_VERSION;
  });
  return run.immediate();
}
