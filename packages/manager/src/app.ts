/**
 * createManagerApp: the manager's express app, with its store, logger and
 * clock injected. Listening, TLS and signals are startManager's business.
 */
import { createHttpClient, systemClock, type Clock, type JobStore, type Logger, type ManagerConfig } from '@tunasync/core';
import express, { type Express } from 'express';
import { Authenticator } from './auth.js';
import { eventsRoutes } from './events/events-routes.js';
import { heartbeatRoutes } from './heartbeat/heartbeat-routes.js';
import { workerOnline } from './heartbeat/online.js';
import { externalRoutes } from './external/external-routes.js';
import { historyRoutes } from './history/history-routes.js';
import { mirrorzRoutes } from './mirrorz/mirrorz-routes.js';
import { webRoutes } from './web/web-routes.js';
import { RunRetention, historyPolicy } from './history/retention.js';
import { logRoutes } from './logs/log-routes.js';
import { checkPathEncoding, errorHandler, jsonBodyParser, noRoute } from './http-errors.js';
import { JobsCache } from './jobs-cache.js';
import { metricsRoutes } from './metrics/metrics-routes.js';
import type { ManagerRouteContext, ManagerRouteModule } from './route-module.js';
import { maintenanceRoutes } from './maintenance/maintenance-routes.js';
import type { Notifier } from './notify/notifier.js';
import { mountRoutes } from './routes.js';
import { staleRoutes } from './stale/stale-routes.js';

export { MAX_BODY_BYTES } from './http-errors.js';

/** Default timeout of a command forwarded to a worker, in ms. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 5_000;

/** Options of createManagerApp. */
export interface ManagerAppOptions {
  /** The manager's settings (`[auth]`, `[limits]`, `[server] allow_worker_urls`, `[files] ca_cert` are used here). */
  config: ManagerConfig;
  /** Where workers and job statuses live (already initialised). */
  store: JobStore;
  /** Where request problems and status changes are logged. */
  logger: Logger;
  /** The time source for every timestamp the manager sets (default: system clock). */
  clock?: Clock;
  /** Timeout of a command forwarded to a worker (default 5000 ms). */
  commandTimeoutMs?: number;
  /** IANA zone for the text times of `/jobs` (default: the process's zone). */
  timeZone?: string;
  /**
   * Route modules mounted after tunasync's routes and the built-in modules (`history`,
   * `metrics`, `stale`) and before the 404, in order. A module named like a built-in one
   * replaces it (e.g. `metricsRoutes({ workerOnline })` with hooks).
   */
  routes?: ManagerRouteModule[];
  /** Aborted when the manager begins to stop (event streams end then). */
  signal?: AbortSignal;
  /** Gets status reports and worker returns to raise alerts (startManager's notification service); none when unset. */
  notifier?: Notifier;
  /** Told when maintenance mode is switched (the dispatcher sends held alerts at once). */
  maintenanceChanged?: () => void;
}

/**
 * Builds the manager's express app: the path check, every route of
 * wire-protocol.md with bearer authentication from `[auth]` checked before
 * any body is read, `/healthz`, the run history (recorded from status
 * reports, served by the `history` route module), `GET /metrics` and `GET /stale`, the route modules, the 404, and one error
 * handler answering `{"error": "...", "code": "..."}` (anything unexpected is
 * a logged 500 and the daemon keeps serving).
 */
export function createManagerApp(options: ManagerAppOptions): Express {
  const { config, store, logger } = options;
  const clock = options.clock ?? systemClock;
  const auth = new Authenticator(config.auth);
  const http = createHttpClient({
    ...(config.files.caCert ? { caFile: config.files.caCert } : {}),
    timeoutMs: options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    retries: 0,
  });
  const context: ManagerRouteContext = {
    config,
    store,
    logger,
    clock,
    auth,
    jsonBody: jsonBodyParser(),
    ...(options.timeZone !== undefined ? { timeZone: options.timeZone } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(checkPathEncoding);

  const history = new RunRetention(store, logger, clock, historyPolicy(config));
  const router = express.Router();
  mountRoutes(router, {
    ...context,
    jobs: new JobsCache(store, options.timeZone),
    history,
    ...(options.notifier ? { statusReported: options.notifier.statusReported.bind(options.notifier) } : {}),
    command: {
      clock,
      history,
      store,
      logger,
      http,
      tokenFor: (w) => auth.workerToken(w.id) ?? (w.token || undefined),
      allowWorkerUrls: config.server.allowWorkerUrls ?? [],
    },
  });
  const builtIn = [
    historyRoutes(),
    externalRoutes(),
    logRoutes(),
    metricsRoutes({ workerOnline: (w, now) => workerOnline(w, now) }),
    staleRoutes(),
    eventsRoutes(),
    webRoutes(),
    mirrorzRoutes(),
    maintenanceRoutes(options.maintenanceChanged),
    heartbeatRoutes(options.notifier),
  ];
  // A module of the same name given in `routes` (e.g. metrics with hooks) replaces the built-in one.
  const given = new Set((options.routes ?? []).map((m) => m.name));
  for (const module of [...builtIn.filter((m) => !given.has(m.name)), ...(options.routes ?? [])]) {
    module.mount(router, context);
    logger.debug(`route module ${module.name} mounted`);
  }
  app.use(router);
  app.use(noRoute);
  app.use(errorHandler(logger));
  return app;
}
