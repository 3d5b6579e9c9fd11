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
export { metricsRoutes, createManagerRegistry, managerVersion, type MetricsRoutesOptions } from './metrics/metrics-routes.js';
export { siteMetricsText, SiteMetrics, type SiteMetricsHooks } from './metrics/collect.js';
export { staleRoutes, listStaleMirrors, type StaleMirrorJSON } from './stale/stale-routes.js';
export { staleness, staleThreshold, DEFAULT_STALE_SLACK_S, type Staleness, type StaleReason } from './stale/stale.js';
export { historyRoutes, DEFAULT_HISTORY_LIMIT, MAX_HISTORY_LIMIT } from './history/history-routes.js';
export { logRoutes as managerLogRoutes, MANAGER_STREAMS_PER_ADDRESS, type ManagerLogRoutesOptions } from './logs/log-routes.js';
export { requireLogReader } from './logs/log-auth.js';
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
export { ImportSourceError, importFromManager, runImportCli, type ImportOptions, type ImportSummary } from './import.js';
export { eventsRoutes, DEFAULT_MAX_STREAMS_PER_ADDRESS, type EventsRoutesOptions } from './events/events-routes.js';
export { EventHub, DEFAULT_EVENT_BUFFER, maintenanceData, type HubEvent, type EventHubOptions } from './events/event-hub.js';
export { SseStream, formatEvent, intervalTicker, KEEP_ALIVE_MS, RETRY_MS, type Ticker, type SseStreamOptions } from './events/sse-stream.js';
export { webRoutes, PAGE_CSP, rowOf, viewState } from './web/web-routes.js';
export { loadWebAssets, WEB_DIR, ASSET_NAMES, type WebAssets, type Asset } from './web/assets.js';
export { pickLanguage } from './web/page.js';
export { mirrorzRoutes } from './mirrorz/mirrorz-routes.js';
export { buildMirrorz, mirrorzStatus, pickStatus, MIRRORZ_VERSION, type MirrorzDocument, type MirrorzMirror } from './mirrorz/mirrorz.js';
export { workerOnline } from './heartbeat/online.js';
export { heartbeatRoutes } from './heartbeat/heartbeat-routes.js';
export { maintenanceRoutes } from './maintenance/maintenance-routes.js';
export { staleMirrors, type StaleMirror } from './notify/stale.js';
export { failureStreak } from './notify/streak.js';
export { Notifier, receiversOf, type Receiver, type StatusReportSeen } from './notify/notifier.js';
export { Dispatcher, NOTIFY_LEASE, RETRY_FOR_MS, nextAttempt } from './notify/dispatcher.js';
export { startNotifications, type Notifications, type NotificationOptions } from './notify/notifications.js';
export { renderAlert, signBody, alertLine, type Alert } from './notify/alert.js';
export { SIGNATURE_HEADER } from './notify/deliver.js';
