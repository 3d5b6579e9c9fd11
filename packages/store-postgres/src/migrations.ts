/**
 * The PostgreSQL schema, as an ordered list of migrations recorded in
 * `tunasync_schema_version`. `migrate` applies the missing ones in one
 * transaction under an advisory lock, so managers starting together on a new
 * database do not race. Times are milliseconds since the Unix epoch
 * (`bigint`), like the SQLite store: Go's zero time and millisecond
 * precision survive exactly. Never edit a released migration: append one.
 */
import type { PoolClient } from 'pg';
import { RUN_STEP_FUNCTIONS_SQL } from './migration-run-steps.js';

/** One schema step. */
export interface PgMigration {
  version: number;
  description: string;
  sql: string;
}

/** Every migration, oldest first. */
export const PG_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    description: 'workers, mirror_status, runs, job stats and metadata, notifications, maintenance, leases',
    sql: `
      CREATE TABLE workers (
        id            text PRIMARY KEY,
        url           text NOT NULL,
        token         text NOT NULL,
        last_online   bigint NOT NULL,
        last_register bigint NOT NULL
      );
      CREATE TABLE mirror_status (
        worker        text NOT NULL,
        name          text NOT NULL,
        is_master     boolean NOT NULL,
        status        text NOT NULL,
        last_update   bigint NOT NULL,
        last_started  bigint NOT NULL,
        last_ended    bigint NOT NULL,
        next_schedule bigint NOT NULL,
        upstream      text NOT NULL,
        size          text NOT NULL,
        error_msg     text NOT NULL,
        PRIMARY KEY (worker, name)
      );
      CREATE INDEX mirror_status_by_status ON mirror_status (status);
      CREATE TABLE runs (
        id                bigserial PRIMARY KEY,
        run_id            text NOT NULL,
        worker            text NOT NULL,
        mirror            text NOT NULL,
        trigger           text NOT NULL,
        started_at        bigint NOT NULL,
        ended_at          bigint,
        duration_s        double precision,
        result            text,
        attempts          integer NOT NULL,
        exit_code         integer,
        error_msg         text NOT NULL,
        size              text NOT NULL,
        transferred_bytes bigint,
        files_transferred bigint,
        log_file          text
      );
      CREATE INDEX runs_by_mirror ON runs (mirror, started_at, id);
      CREATE INDEX runs_by_job_run ON runs (mirror, worker, run_id);
      CREATE INDEX runs_open ON runs (worker, mirror) WHERE result IS NULL;
      CREATE INDEX runs_by_start ON runs (started_at);
      CREATE TABLE job_stats (
        worker                  text NOT NULL,
        mirror                  text NOT NULL,
        runs_total              bigint NOT NULL DEFAULT 0,
        failures_total          bigint NOT NULL DEFAULT 0,
        consecutive_failures    bigint NOT NULL DEFAULT 0,
        transferred_bytes_total bigint NOT NULL DEFAULT 0,
        last_result             text,
        last_duration_s         double precision,
        last_transferred_bytes  bigint,
        PRIMARY KEY (worker, mirror)
      );
      CREATE TABLE job_meta (
        worker        text NOT NULL,
        mirror        text NOT NULL,
        stale_after_s double precision,
        interval_s    double precision,
        PRIMARY KEY (worker, mirror)
      );
      CREATE TABLE notifications (
        id              bigserial PRIMARY KEY,
        receiver        text NOT NULL,
        dedupe_key      text NOT NULL UNIQUE,
        payload         text NOT NULL,
        created_at      bigint NOT NULL,
        attempts        integer NOT NULL DEFAULT 0,
        next_attempt_at bigint NOT NULL,
        held            boolean NOT NULL DEFAULT false,
        last_error      text,
        claimed_by      text,
        claimed_until   bigint,
        done            boolean NOT NULL DEFAULT false
      );
      CREATE INDEX notifications_due ON notifications (next_attempt_at, id) WHERE NOT done;
      CREATE TABLE maintenance (
        id      integer PRIMARY KEY CHECK (id = 1),
        message text NOT NULL,
        since   bigint NOT NULL,
        until   bigint
      );
      CREATE TABLE leases (
        name       text PRIMARY KEY,
        holder     text NOT NULL,
        expires_at bigint NOT NULL
      );
    `,
  },
  {
    version: 2,
    description: 'run history steps as functions (one round trip for a group commit)',
    sql: RUN_STEP_FUNCTIONS_SQL,
  },
];

/** The schema version this code writes. */
export const PG_SCHEMA_VERSION = PG_MIGRATIONS[PG_MIGRATIONS.length - 1]!.version;

/** An advisory-lock key no other tunasync-ts lock uses ("tsts" + 1). */
const MIGRATION_LOCK = 0x74737473_01;

/**
 * Brings the database to PG_SCHEMA_VERSION; returns it. Rejects when the
 * database was written by a newer tunasync-ts.
 */
export async function migrate(client: PoolClient): Promise<number> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(
      `CREATE TABLE IF NOT EXISTS tunasync_schema_version (
         version integer PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const { rows } = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM tunasync_schema_version');
    const current = rows[0]?.v ?? 0;
    if (current > PG_SCHEMA_VERSION) {
      throw new Error(
        `database schema version ${current} is newer than this tunasync-ts understands (${PG_SCHEMA_VERSION}); upgrade tunasync-ts`,
      );
    }
    for (const m of PG_MIGRATIONS) {
      if (m.version <= current) continue;
      await client.query(m.sql);
      await client.query('INSERT INTO tunasync_schema_version (version, description) VALUES ($1, $2)', [m.version, m.description]);
    }
    await client.query('COMMIT');
    return PG_SCHEMA_VERSION;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
