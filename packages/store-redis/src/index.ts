/**
 * @tunasync/store-redis: the manager store for `[files] db_type = "redis"`
 * (issue 19), in tunasync's own Redis layout (`workers` and `mirror_status`
 * hashes, Go's JSON), so a site on tunasync's Redis backend moves over and
 * back. `db_file` (or `TUNASYNC_DB_URL`) is a `redis://host:6379/0` URL.
 */
import type { JobStoreFactory } from '@tunasync/core';
import { RedisFullStore } from './redis-ops.js';

export { RedisFullStore } from './redis-ops.js';
export { KEYS as OWN_KEYS, RedisJobStore, jobField, type RedisJobStoreOptions } from './redis-store.js';
export { OWN_PREFIX, STATUS_KEY, WORKERS_KEY, goJson, statusField, statusJson, workerJson } from './go-json.js';

/** core's JobStoreModule factory: a Redis store on `url` (not yet connected). */
export const createJobStore: JobStoreFactory = ({ url, logger }) => new RedisFullStore(url, { logger });
