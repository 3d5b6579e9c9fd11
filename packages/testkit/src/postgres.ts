/**
 * A throwaway PostgreSQL cluster for tests: `initdb` in a temp dir owned by
 * the `postgres` user (the server refuses to run as root), `pg_ctl start` on
 * 127.0.0.1 at a free port, `stop()` stops it and removes the dir. Each test
 * file starts its own in `beforeAll`; `createDatabase()` gives each store a
 * fresh, empty database.
 */
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './net.js';

const exec = promisify(execFile);

/** Where Debian 12 puts PostgreSQL 15's server programs (override with `PG_BIN`). */
export const PG_BIN = process.env['PG_BIN'] ?? '/usr/lib/postgresql/15/bin';

/** A running test cluster. */
export interface TestPostgres {
  /** 127.0.0.1 port it listens on. */
  readonly port: number;
  /** Its data and socket directory. */
  readonly dir: string;
  /** `postgres://tunasync@127.0.0.1:<port>/<db>` (trust auth, no password). */
  url(db?: string): string;
  /** Creates a new empty database (a fresh name unless given) and returns its URL. */
  createDatabase(name?: string): Promise<string>;
  /** Runs SQL through psql on `db` and returns its unaligned output. */
  psql(sql: string, db?: string): Promise<string>;
  /** Stops the server (immediate mode) and removes the dir. Idempotent. */
  stop(): Promise<void>;
}

/** Options of startTestPostgres. */
export interface TestPostgresOptions {
  /** fsync and synchronous_commit on (benchmarks of durable writes); default off, for speed. */
  durable?: boolean;
  /** max_connections (default 200). */
  maxConnections?: number;
}

async function ids(): Promise<{ uid: number; gid: number }> {
  const uid = Number((await exec('id', ['-u', 'postgres'])).stdout.trim());
  const gid = Number((await exec('id', ['-g', 'postgres'])).stdout.trim());
  return { uid, gid };
}

/** True when this machine can run a test cluster (PostgreSQL installed, a `postgres` user). */
export function postgresAvailable(): boolean {
  return existsSync(join(PG_BIN, 'pg_ctl'));
}

let dbCounter = 0;

/** Starts a cluster (as the `postgres` user when run as root); rejects with initdb's or the server's log when it cannot. */
export async function startTestPostgres(options: TestPostgresOptions = {}): Promise<TestPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'tunasync-pg-'));
  const asUser: { uid?: number; gid?: number } = process.getuid?.() === 0 ? await ids() : {};
  if (asUser.uid !== undefined && asUser.gid !== undefined) chownSync(dir, asUser.uid, asUser.gid);
  const run = (file: string, args: string[]) => exec(join(PG_BIN, file), args, { ...asUser, cwd: dir, maxBuffer: 8 << 20 });
  const data = join(dir, 'data');
  const port = await freePort();
  const durable = options.durable ?? false;
  const settings = [
    `-k ${dir}`,
    '-c listen_addresses=127.0.0.1',
    `-p ${port}`,
    `-c max_connections=${options.maxConnections ?? 200}`,
    `-c fsync=${durable ? 'on' : 'off'}`,
    `-c synchronous_commit=${durable ? 'on' : 'off'}`,
    `-c full_page_writes=${durable ? 'on' : 'off'}`,
  ].join(' ');
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await run('initdb', ['-D', data, '-A', 'trust', '-U', 'tunasync', '-E', 'UTF8', '--no-sync']);
    await run('pg_ctl', ['-D', data, '-o', settings, '-l', join(dir, 'log'), '-w', 'start']);
  } catch (err) {
    await stop();
    throw err;
  }
  const url = (db = 'postgres') => `postgres://tunasync@127.0.0.1:${port}/${db}`;
  const psql = async (sql: string, db = 'postgres'): Promise<string> =>
    (await exec('psql', ['-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', url(db), '-c', sql])).stdout;
  return {
    port,
    dir,
    url,
    psql,
    async createDatabase(name?: string) {
      const db = name ?? `t${process.pid}_${++dbCounter}`;
      await psql(`CREATE DATABASE "${db}"`);
      return url(db);
    },
    stop,
  };
}
