/**
 * Opens the store manager.conf's `[files]` names. Only SQLite is built in;
 * tunasync's other db types (bolt, badger, leveldb, redis) are refused with a
 * message saying what to do, and a Bolt file left by tunasync is recognised
 * instead of being reported as a corrupt SQLite database.
 */
import { closeSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { TunasyncError, errorMessage, type JobStore, type ManagerConfig } from '@tunasync/core';
import { SqliteJobStore, type SqliteJobStoreOptions } from './sqlite-store.js';

/** The store cannot be opened: wrong db_type, unreadable or foreign file. */
export class StoreOpenError extends TunasyncError {
  constructor(message: string, options?: ErrorOptions) {
    super('CONFIG_INVALID', 500, message, options);
  }
}

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');
/** bbolt's meta-page magic, little-endian after the 16-byte page header. */
const BOLT_MAGIC = 0xed0cdaed;

/** What the first bytes of a db file say it is. */
export type DbFileKind = 'missing' | 'empty' | 'sqlite' | 'bolt' | 'other';

/** Sniffs the format of `file` from its header. */
export function detectDbFile(file: string): DbFileKind {
  let size: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) return 'other';
    size = st.size;
  } catch {
    return 'missing';
  }
  if (size === 0) return 'empty';
  const head = Buffer.alloc(32);
  const fd = openSync(file, 'r');
  let n: number;
  try {
    n = readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  if (n >= SQLITE_MAGIC.length && head.subarray(0, SQLITE_MAGIC.length).equals(SQLITE_MAGIC)) return 'sqlite';
  if (n >= 20 && head.readUInt32LE(16) === BOLT_MAGIC) return 'bolt';
  return 'other';
}

/** Options of openStore. */
export interface OpenStoreOptions extends SqliteJobStoreOptions {
  /** Create the db file's directory when missing (default true). */
  createDir?: boolean;
}

/**
 * Opens the store of `files` (`db_type`, `db_file`). Throws a StoreOpenError
 * with a message fit for an operator when it cannot.
 */
export function openStore(files: ManagerConfig['files'], options: OpenStoreOptions = {}): JobStore {
  const type = files.dbType.trim().toLowerCase();
  if (type !== 'sqlite') {
    throw new StoreOpenError(
      `[files] db_type = ${JSON.stringify(files.dbType)} is not supported: tunasync-ts stores its state in SQLite only ` +
        `(db_type = "sqlite"); tunasync's bolt, badger, leveldb and redis stores cannot be used. ` +
        `Set db_type = "sqlite" and db_file to a new file; workers re-register and report again on their own.`,
    );
  }
  const file = files.dbFile;
  if (!file) throw new StoreOpenError('[files] db_file is empty: name the SQLite file the manager keeps its state in');
  const kind = file === ':memory:' ? 'missing' : detectDbFile(file);
  if (kind === 'bolt') {
    throw new StoreOpenError(
      `db_file ${file} is a Bolt database (tunasync's default store), which tunasync-ts cannot read: ` +
        `point [files] db_file (or --db-file) at a new file; workers re-register and report again on their own`,
    );
  }
  if (kind === 'other') {
    throw new StoreOpenError(`db_file ${file} is not a SQLite database (or not a regular file); refusing to overwrite it`);
  }
  if (kind === 'missing' && file !== ':memory:' && options.createDir !== false) {
    mkdirSync(dirname(file), { recursive: true });
  }
  try {
    return new SqliteJobStore(file, options);
  } catch (err) {
    throw new StoreOpenError(`cannot open SQLite db_file ${file}: ${errorMessage(err)}`, { cause: err });
  }
}
