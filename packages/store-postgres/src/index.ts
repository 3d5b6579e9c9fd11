/**
 * @tunasync/store-postgres: the manager store for `[files] db_type =
 * "postgres"` (issue 19), for any number of managers on one database.
 * `db_file` (or `TUNASYNC_DB_URL`) is a `postgres://user@host:5432/db` URL.
 * A package of its own so an operator on SQLite installs no driver.
 */
import type { JobStoreFactory } from '@tunasync/core';
import { PostgresJobStore } from './pg-full-store.js';

export { PostgresJobStore } from './pg-full-store.js';
export { PgJobStoreBase, type PostgresJobStoreOptions } from './pg-store.js';
export { PG_MIGRATIONS, PG_SCHEMA_VERSION, type PgMigration } from './migrations.js';
export { CHANGE_CHANNEL, PgChangeListener } from './pg-feed.js';

/** core's JobStoreModule factory: a PostgresJobStore on `url` (not yet connected). */
export const createJobStore: JobStoreFactory = ({ url, logger }) => new PostgresJobStore(url, { logger });
