/**
 * The connection pool of the PostgreSQL store: `bigint` columns read as
 * numbers (milliseconds and counters stay below 2^53), one transaction
 * helper that retries deadlocks and serialization failures, and the
 * translation of a full disk into core's StorageFullError.
 */
import pg from 'pg';
import { StorageFullError } from '@tunasync/core';

/** Something that runs a query: the pool or a client inside a transaction. */
export type Queryable = Pick<pg.PoolClient, 'query'>;

const INT8_OID = 20;

/** Type parsers: int8 → number, everything else as pg does. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary' ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/** Pool options beyond the URL. */
export interface PgPoolOptions {
  /** Connections at most (default 10). */
  max?: number;
  /** `application_name` the server shows in pg_stat_activity. */
  applicationName?: string;
}

/** A pool on `url` (does not connect until the first query). */
export function createPool(url: string, options: PgPoolOptions = {}): pg.Pool {
  return new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'tunasync-manager',
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    types,
  });
}

/** SQLSTATE codes worth retrying a whole transaction for. */
const RETRY = new Set(['40001', '40P01']);

function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** A write error as the manager reports it: a full disk (53100) is StorageFullError (HTTP 507). */
export function translatePgError(err: unknown, where: string): unknown {
  if (sqlState(err) === '53100') return new StorageFullError(`the PostgreSQL database ${where} is out of disk space`);
  return err;
}

/**
 * Runs `fn` in a transaction on one pooled client; commits, or rolls back
 * and rethrows. With `begins`, `fn` sends BEGIN itself (with its first
 * statements, saving a round trip); with `commits`, `fn` sends COMMIT itself
 * (with its last statements). A deadlock or serialization failure reruns it (up to 5 times).
 */
export async function inTransaction<T>(
  pool: pg.Pool,
  fn: (client: pg.PoolClient) => Promise<T>,
  begins = false,
  commits = false,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const client = await pool.connect();
    let broken = false;
    try {
      if (!begins) await client.query('BEGIN');
      const value = await fn(client);
      if (!commits) await client.query('COMMIT');
      return value;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      if (attempt < 5 && RETRY.has(sqlState(err) ?? '')) continue;
      throw err;
    } finally {
      client.release(broken);
    }
  }
}
