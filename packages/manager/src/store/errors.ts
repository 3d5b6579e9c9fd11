/**
 * The store's errors as operators and clients see them: StoreOpenError when
 * the store cannot be opened (the manager refuses to start), and SQLite's
 * "database or disk is full" as core's StorageFullError (HTTP 507).
 */
import { StorageFullError, TunasyncError } from '@tunasync/core';

/** The store cannot be opened: wrong db_type, missing package, unreadable, foreign or corrupt file. */
export class StoreOpenError extends TunasyncError {
  constructor(message: string, options?: ErrorOptions) {
    super('CONFIG_INVALID', 500, message, options);
  }
}

/**
 * The message of anything thrown. Unlike core's errorMessage it does not rely
 * on `instanceof Error`, which fails for errors made in another realm (a
 * native addon's errors under a test runner's VM contexts).
 */
export function messageOf(err: unknown): string {
  const message = (err as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(err);
}

/** better-sqlite3's error code (`SQLITE_FULL`, `SQLITE_CORRUPT_INDEX`, …), if `err` has one. */
export function sqliteCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined;
}

/** True when SQLite says the database file is damaged or not a database. */
export function isCorruptionError(err: unknown): boolean {
  const code = sqliteCode(err);
  return code !== undefined && (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB');
}

/**
 * Turns SQLite's SQLITE_FULL (disk full, or `max_page_count` reached) into a
 * StorageFullError naming the file; anything else is returned unchanged.
 */
export function translateWriteError(err: unknown, file: string): unknown {
  if (!sqliteCode(err)?.startsWith('SQLITE_FULL')) return err;
  return new StorageFullError(
    `storage full: the manager's database cannot grow (${file}: ${messageOf(err)}); ` +
      'free disk space (reads keep working meanwhile)',
    { cause: err },
  );
}
