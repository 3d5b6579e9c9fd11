/**
 * startManager: opens the store, builds the app and listens over HTTP, or
 * HTTPS when `[server] ssl_cert` and `ssl_key` are set (with client
 * certificates required when `client_ca` is), through core's
 * createServerFor/listenOn. `close()` stops accepting, lets in-flight
 * requests finish, then closes the store.
 */
import type http from 'node:http';
import type https from 'node:https';
import type { AddressInfo } from 'node:net';
import {
  createServerFor,
  isLoopback,
  createSilentLogger,
  listenOn,
  serverProtocol,
  systemClock,
  type Clock,
  type JobStore,
  type JobStoreFactory,
  type Logger,
  type ManagerConfig,
} from '@tunasync/core';
import { createManagerApp } from './app.js';
import { Authenticator } from './auth.js';
import { startNotifications, type Notifications } from './notify/notifications.js';
import type { ManagerRouteModule } from './route-module.js';
import { openJobStore, redactDbUrl } from './store/open-store.js';

/** Default time a client has to send a request's headers, in ms. */
export const DEFAULT_HEADERS_TIMEOUT_MS = 30_000;
/** Default time a client has to send a whole request, in ms. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;
/** Default cap on open connections (workers, tunasynctl, status pages); more are dropped. */
export const DEFAULT_MAX_CONNECTIONS = 4096;

/** Options of startManager. */
export interface StartManagerOptions {
  /** Where to log (default: nowhere). */
  logger?: Logger;
  /** Time source (default: the system clock). */
  clock?: Clock;
  /** A store to use instead of opening `[files]`; startManager calls its (idempotent) init() and closes it. */
  store?: JobStore;
  /** Store factories by `db_type`, tried before the built-in SQLite and store packages (see openJobStore). */
  storeFactories?: Record<string, JobStoreFactory>;
  /** Timeout of commands forwarded to workers, in ms. */
  commandTimeoutMs?: number;
  /** How long close() waits for in-flight requests before cutting them, in ms (default 10 000). */
  drainTimeoutMs?: number;
  /** Time a client has to send a request's headers, in ms (default 30 000). */
  headersTimeoutMs?: number;
  /** Time a client has to send a whole request, in ms (default 60 000). */
  requestTimeoutMs?: number;
  /** Most open connections; the server drops new ones beyond (default 4096). */
  maxConnections?: number;
  /** Route modules mounted before the 404 (status page, metrics…). */
  routes?: ManagerRouteModule[];
  /** Notification service timing (tests): dispatcher round and stale/offline check intervals, in ms. */
  notify?: { tickMs?: number; checkEveryMs?: number; timeoutMs?: number };
}

/** A running manager. */
export interface RunningManager {
  /** The bound address (e.g. `127.0.0.1`). */
  address: string;
  /** The bound port (useful with port 0). */
  port: number;
  /** `http` or `https`. */
  protocol: 'http' | 'https';
  /** Base URL, e.g. `http://127.0.0.1:14242`. */
  url: string;
  /** The store in use. */
  store: JobStore;
  /** The underlying server. */
  server: http.Server | https.Server;
  /** The notification service (`[[notify]]`, maintenance summaries). */
  notifications: Notifications;
  /** Stops accepting, waits for in-flight requests, closes the store. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts the manager described by `config`: opens its store by `db_type`
 * (openJobStore: SQLite built in, other types from store packages; a
 * corrupt or foreign file is refused), listens, and warns when the API is open to
 * other hosts (no tokens configured, a non-loopback address).
 */
export async function startManager(config: ManagerConfig, options: StartManagerOptions = {}): Promise<RunningManager> {
  const logger = options.logger ?? createSilentLogger();
  const store =
    options.store ??
    (await openJobStore(config.files, {
      logger,
      clock: options.clock ?? systemClock,
      ...(options.storeFactories ? { factories: options.storeFactories } : {}),
    }));
  // A store shared by several managers (PostgreSQL) offers its database's clock, so they all stamp with one clock.
  const clock = options.clock ?? (store as { clock?: Clock }).clock ?? systemClock;
  if (options.store) {
    try {
      await store.init();
    } catch (err) {
      await store.close().catch(() => undefined);
      throw err;
    }
  }
  let server: http.Server | https.Server;
  let bound: AddressInfo;
  const stopping = new AbortController();
  const notifications = startNotifications({ config, store, logger, clock: options.clock ?? systemClock, ...options.notify });
  try {
    const app = createManagerApp({
      notifier: notifications.notifier,
      maintenanceChanged: () => notifications.dispatcher.wake(),
      config,
      store,
      logger,
      clock,
      ...(options.commandTimeoutMs !== undefined ? { commandTimeoutMs: options.commandTimeoutMs } : {}),
      ...(options.routes ? { routes: options.routes } : {}),
      signal: stopping.signal,
    });
    const { sslCert, sslKey, clientCa } = config.server;
    server = createServerFor({ configFile: config.file ?? '<manager.conf>', sslCert, sslKey, clientCa }, app);
    server.headersTimeout = options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS;
    server.requestTimeout = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    server.maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    bound = await listenOn(server, config.server.addr, config.server.port);
  } catch (err) {
    await notifications.close();
    await store.close();
    throw err;
  }
  const protocol = serverProtocol(server);
  const host = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  const url = `${protocol}://${host}:${bound.port}`;
  logger.info(`tunasync manager listening on ${url}`, { db: redactDbUrl(config.files.dbFile) });
  if (!new Authenticator(config.auth).enabled && !isLoopback(config.server.addr)) {
    logger.warn(
      `no [auth] tokens are configured and the manager listens on ${config.server.addr}: ` +
        'anyone who can reach it may register workers, report statuses and send commands',
    );
  }

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      stopping.abort();
      const drained = new Promise<void>((resolve) => server.close(() => resolve()));
      // Keep-alive connections go as soon as their in-flight request is answered.
      server.closeIdleConnections();
      const sweep = setInterval(() => server.closeIdleConnections(), 50);
      const cut = setTimeout(() => server.closeAllConnections(), options.drainTimeoutMs ?? 10_000);
      await drained;
      clearInterval(sweep);
      clearTimeout(cut);
      await notifications.close();
      await store.close();
      logger.info('tunasync manager stopped');
    })();
    return closing;
  };
  return { address: bound.address, port: bound.port, protocol, url, store, server, notifications, close };
}
