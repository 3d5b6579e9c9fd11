/**
 * Opening the SQLite file safely: a Bolt file left by tunasync and any other
 * foreign file are recognised from their header instead of being reported as
 * a corrupt SQLite database (or overwritten); a damaged SQLite file is caught
 * by `PRAGMA quick_check` and refused with how to recover; then WAL, the
 * sync level and the size cap are set and the schema is migrated.
 */
import { closeSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { StoreOpenError, isCorruptionError, messageOf } from './errors.js';
import { migrate } from './migrations.js';

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

/** How to open the file (the SqliteJobStore options that concern the file). */
export interface SqliteOpenOptions {
  /**
   * `PRAGMA synchronous`: `full` (default) syncs the WAL on every commit, so a
   * report that was answered survives a power cut; `normal` is faster and
   * still safe against a crash of the process.
   */
  synchronous?: 'full' | 'normal';
  /** How long to wait for another process's lock, in ms (default 5000). */
  busyTimeoutMs?: number;
  /** Create the file's directory when missing (default true). */
  createDir?: boolean;
  /**
   * Caps the database at this many pages (`PRAGMA max_page_count`, pages of
   * 4 KiB; default: no cap): a write beyond it fails as on a full disk.
   */
  maxPageCount?: number;
}

/** `file` as one shell word, for a command an operator can paste. */
function shellWord(file: string): string {
  return /^[\w@%+=:,./-]+$/.test(file) ? file : `'${file.replace(/'/g, `'\\''`)}'`;
}

/** The message for a damaged database file: what is wrong and how to recover. */
export function corruptFileMessage(file: string, problem: string): string {
  const f = shellWord(file);
  const recovered = shellWord(`${file}.recovered`);
  return (
    `db_file ${file} is corrupt (${problem}); the manager refuses to start on it. ` +
    `Restore the file from a backup, or recover what SQLite can still read into a new file: ` +
    `sqlite3 ${f} ".recover" | sqlite3 ${recovered} ` +
    `and point [files] db_file at ${recovered} (workers report their jobs again on their next run)`
  );
}

/** Problems `PRAGMA quick_check` reports, or none when the file is sound. */
function quickCheck(db: Database.Database): string[] {
  const rows = db.pragma('quick_check') as { quick_check: string }[];
  return rows.map((r) => r.quick_check).filter((p) => p !== 'ok');
}

function refuseForeign(file: string): void {
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
}

/**
 * Opens (creating if needed), checks and migrates the SQLite database at
 * `file`. Throws a StoreOpenError fit for an operator when it cannot.
 */
export function openSqliteDatabase(file: string, options: SqliteOpenOptions = {}): Database.Database {
  if (!file) throw new StoreOpenError('[files] db_file is empty: name the SQLite file the manager keeps its state in');
  refuseForeign(file);
  let db: Database.Database;
  try {
    if (file !== ':memory:' && options.createDir !== false) mkdirSync(dirname(file), { recursive: true });
    db = new Database(file, { timeout: options.busyTimeoutMs ?? 5000 });
  } catch (err) {
    throw new StoreOpenError(`cannot open SQLite db_file ${file}: ${messageOf(err)}`, { cause: err });
  }
  try {
    db.pragma('journal_mode = WAL');
    // One problem per line: SQLite may put several, under a "*** in database main ***" header, in one row.
    const problems = quickCheck(db)
      .flatMap((p) => p.split('\n'))
      .map((l) => l.trim())
      .filter((l) => l !== '' && !/^\*\*\* in database /.test(l));
    if (problems.length > 0) {
      const shown = problems.slice(0, 3).join('; ');
      const more = problems.length > 3 ? ` and ${problems.length - 3} more` : '';
      throw new StoreOpenError(corruptFileMessage(file, `PRAGMA quick_check: ${shown}${more}`));
    }
    db.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
    db.pragma('foreign_keys = ON');
    if (options.maxPageCount !== undefined) db.pragma(`max_page_count = ${Math.max(1, Math.floor(options.maxPageCount))}`);
    migrate(db);
    return db;
  } catch (err) {
    db.close();
    if (err instanceof StoreOpenError) throw err;
    if (isCorruptionError(err)) throw new StoreOpenError(corruptFileMessage(file, messageOf(err)), { cause: err });
    throw new StoreOpenError(`cannot open SQLite db_file ${file}: ${messageOf(err)}`, { cause: err });
  }
}
