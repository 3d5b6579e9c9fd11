/**
 * @tunasync/manager: the status and job-management daemon, wire-compatible
 * with tunasync's manager, with authentication.
 */
export { createManagerApp, MAX_BODY_BYTES, DEFAULT_COMMAND_TIMEOUT_MS, type ManagerAppOptions } from './app.js';
export { Authenticator, tokensEqual, bearerToken, type Principal } from './auth.js';
export type { ManagerRouteModule, ManagerRouteContext } from './route-module.js';
export { JobsCache } from './jobs-cache.js';
export { checkWorkerUrl, isLinkLocalAddress, linkLocalGuard, LINK_LOCAL_LOOKUP_ERROR } from './worker-url.js';
export { applyStatusReport, applySizeUpdate, isUnknownSize } from './rules.js';
export { historyRoutes, DEFAULT_HISTORY_LIMIT, MAX_HISTORY_LIMIT } from './history/history-routes.js';
export { externalRoutes, parseExternalReport, applyExternalReport, EXTERNAL_AT_SKEW_MS, type ExternalReport } from './external/external-routes.js';
export { runStepOf, randomRunId, type RunIdSource } from './history/run-rules.js';
export { runStats, type RunStatsJSON } from './history/stats.js';
export { RunRetention, historyPolicy, SWEEP_CHUNK, SWEEP_INTERVAL_MS } from './history/retention.js';
export { SqliteJobStore, type SqliteJobStoreOptions } from './store/sqlite-store.js';
export { openJobStore, storePackageName, redactDbUrl, type OpenJobStoreOptions } from './store/open-store.js';
export { detectDbFile, corruptFileMessage, type DbFileKind, type SqliteOpenOptions } from './store/sqlite-file.js';
export { StoreOpenError } from './store/errors.js';
export { MIGRATIONS, SCHEMA_VERSION, type Migration } from './store/migrations.js';

/** The package's name, as published. */
export const PACKAGE_NAME = '@tunasync/manager';
export {
  startManager,
  DEFAULT_HEADERS_TIMEOUT_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_MAX_CONNECTIONS,
  type StartManagerOptions,
  type RunningManager,
} from './server.js';
export { runManagerCli } from './cli-main.js';
