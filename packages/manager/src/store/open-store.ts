/**
 * Opens the store manager.conf's `[files]` names, keyed by `db_type`:
 * `sqlite` is built in; any other type is an optional package found by
 * convention (`postgres` → `@tunasync/store-postgres`) exporting core's
 * JobStoreModule; embedders and tests may inject factories instead.
 * tunasync's bolt, badger and leveldb stores are refused with a message
 * saying what to do.
 */
import {
  TunasyncError,
  createSilentLogger,
  systemClock,
  type Clock,
  type JobStore,
  type JobStoreFactory,
  type Logger,
  type ManagerConfig,
} from '@tunasync/core';
import { StoreOpenError, messageOf } from './errors.js';
import { SqliteJobStore, type SqliteJobStoreOptions } from './sqlite-store.js';

/** tunasync's own stores, which no package of ours reads. */
const TUNASYNC_ONLY = new Set(['bolt', 'badger', 'leveldb']);
/** A db_type that can name a package. */
const PACKAGE_TYPE = /^[a-z0-9][a-z0-9._-]{0,100}$/;

/** Options of openJobStore. */
export interface OpenJobStoreOptions extends SqliteJobStoreOptions {
  /** Passed to store factories (default: a silent logger). */
  logger?: Logger;
  /** Passed to store factories (default: the system clock). */
  clock?: Clock;
  /** Factories by db_type, used before the built-in SQLite and before any package. */
  factories?: Record<string, JobStoreFactory>;
  /** Where `TUNASYNC_DB_URL` is read from (default: process.env). */
  env?: Record<string, string | undefined>;
  /** How a store package is loaded (default: dynamic `import()`). */
  importModule?: (specifier: string) => Promise<unknown>;
}

/** The package that provides `dbType` (`@tunasync/store-<type>`). */
export function storePackageName(dbType: string): string {
  return `@tunasync/store-${dbType}`;
}

/** `url` with any password replaced by `***`, fit for logs and messages. */
export function redactDbUrl(url: string): string {
  try {
    const u = new URL(url);
    if (!u.password) return url;
    u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
  }
}

function isMissingPackage(err: unknown, pkg: string): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  const message = messageOf(err);
  const names = message.includes(`'${pkg}'`) || message.includes(`"${pkg}"`) || message.includes(` ${pkg} `);
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' || /Cannot find (module|package)/.test(message)) && names;
}

async function loadPackageFactory(type: string, options: OpenJobStoreOptions): Promise<JobStoreFactory> {
  const pkg = storePackageName(type);
  const importModule = options.importModule ?? ((specifier: string) => import(specifier));
  let mod: unknown;
  try {
    mod = await importModule(pkg);
  } catch (err) {
    if (isMissingPackage(err, pkg)) {
      throw new StoreOpenError(
        `[files] db_type = "${type}" needs the package ${pkg}, which is not installed: ` +
          `run \`npm install ${pkg}\` where @tunasync/manager is installed, or set db_type = "sqlite" (built in)`,
        { cause: err },
      );
    }
    throw new StoreOpenError(`cannot load ${pkg} for [files] db_type = "${type}": ${messageOf(err)}`, { cause: err });
  }
  const m = mod as { createJobStore?: unknown; default?: { createJobStore?: unknown } } | null;
  const create = m?.createJobStore ?? m?.default?.createJobStore;
  if (typeof create !== 'function') {
    throw new StoreOpenError(
      `${pkg} (for [files] db_type = "${type}") does not export createJobStore(options): ` +
        'it does not implement the JobStoreModule contract of @tunasync/core',
    );
  }
  return create as JobStoreFactory;
}

async function factoryFor(type: string, asWritten: string, options: OpenJobStoreOptions): Promise<JobStoreFactory> {
  const injected = options.factories?.[type];
  if (injected) return injected;
  if (type === 'sqlite') return ({ url }) => new SqliteJobStore(url, options);
  if (TUNASYNC_ONLY.has(type)) {
    throw new StoreOpenError(
      `[files] db_type = ${JSON.stringify(asWritten)} is not supported: tunasync-ts stores its state in SQLite only ` +
        `(db_type = "sqlite"), unless a store package is installed (db_type = "postgres" with @tunasync/store-postgres, ` +
        `"redis" with @tunasync/store-redis); tunasync's bolt, badger and leveldb stores cannot be used. ` +
        `Set db_type = "sqlite" and db_file to a new file; workers re-register and report again on their own.`,
    );
  }
  if (!PACKAGE_TYPE.test(type)) {
    throw new StoreOpenError(
      `[files] db_type = ${JSON.stringify(asWritten)} is not a store type: use "sqlite" (built in) or the name of a store package ` +
        '(letters, digits, ".", "_", "-"; db_type = "postgres" loads @tunasync/store-postgres)',
    );
  }
  return loadPackageFactory(type, options);
}

/**
 * Opens the store of `files` (`db_type`, `db_file`; for a type other than
 * sqlite, the environment's `TUNASYNC_DB_URL` overrides `db_file`) and
 * resolves once its `init()` has. Rejects with a StoreOpenError fit for an
 * operator when it cannot (the store, if made, is closed again).
 */
export async function openJobStore(files: ManagerConfig['files'], options: OpenJobStoreOptions = {}): Promise<JobStore> {
  const type = files.dbType.trim().toLowerCase();
  const factory = await factoryFor(type, files.dbType, options);
  const envUrl = (options.env ?? process.env)['TUNASYNC_DB_URL'];
  const url = type !== 'sqlite' && envUrl ? envUrl : files.dbFile;
  if (!url && type !== 'sqlite') {
    throw new StoreOpenError(`[files] db_file is empty: set it (or TUNASYNC_DB_URL) to where the ${type} store lives`);
  }
  const where = type === 'sqlite' ? url : redactDbUrl(url);
  let store: JobStore;
  try {
    store = await factory({
      dbType: type,
      url,
      logger: options.logger ?? createSilentLogger(),
      clock: options.clock ?? systemClock,
    });
  } catch (err) {
    throw err instanceof TunasyncError ? err : new StoreOpenError(`cannot create the ${type} store (${where}): ${messageOf(err)}`, { cause: err });
  }
  try {
    await store.init();
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err instanceof TunasyncError ? err : new StoreOpenError(`cannot open the ${type} store (${where}): ${messageOf(err)}`, { cause: err });
  }
  return store;
}
