/**
 * createManagerApp: the manager's express app, with its store, logger and
 * clock injected. Listening, TLS and signals are startManager's business.
 */
import { createHttpClient, systemClock, type Clock, type JobStore, type Logger, type ManagerConfig } from '@tunasync/core';
import express, { type Express } from 'express';
import { Authenticator } from './auth.js';
import { externalRoutes } from './external/external-routes.js';
import { historyRoutes } from './history/history-routes.js';
import { RunRetention, historyPolicy } from './history/retention.js';
import { checkPathEncoding, errorHandler, jsonBodyParser, noRoute } from './http-errors.js';
import { JobsCache } from './jobs-cache.js';
import type { ManagerRouteContext, ManagerRouteModule } from './route-module.js';
import { mountRoutes } from './routes.js';

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
  /** Route modules mounted after tunasync's routes and the history routes and before the 404, in order. */
  routes?: ManagerRouteModule[];
}

/**
 * Builds the manager's express app: the path check, every route of
 * wire-protocol.md with bearer authentication from `[auth]` checked before
 * any body is read, `/healthz`, the run history (recorded from status
 * reports, served by the `history` route module), the route modules, the 404, and one error
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
  for (const module of [historyRoutes(), externalRoutes(), ...(options.routes ?? [])]) {
    module.mount(router, context);
    logger.debug(`route module ${module.name} mounted`);
  }
  app.use(router);
  app.use(noRoute);
  app.use(errorHandler(logger));
  return app;
}
