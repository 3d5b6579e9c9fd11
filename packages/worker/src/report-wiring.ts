/**
 * The worker's Reporter, built from its config: the HTTP client for the
 * managers (CA, client certificate, token), the outbox in the state
 * directory, and the reporter's delivery events bridged into the worker's
 * event map.
 */
import { createHttpClient, type Clock, type Logger, type WorkerConfig } from '@tunasync/core';
import { bridgeReporterEvents, type WorkerEventEmitter } from './events.js';
import { Reporter } from './reporter.js';
import type { StateLock } from './state-lock.js';

/** What createWorkerReporter needs. */
export interface WorkerReporterOptions {
  /** The config now (the worker's name may change on reload; managers and state directory do not). */
  config: () => WorkerConfig;
  /** The control server's URL, once it listens. */
  url: () => string;
  events: WorkerEventEmitter;
  logger: Logger;
  clock: Clock;
  maxBackoffMs?: number;
  /** The state directory's lock, taken by the worker before anything else. */
  stateLock?: StateLock;
}

/** A Reporter for the worker's managers, its delivery events re-emitted on `events`. */
export function createWorkerReporter(opts: WorkerReporterOptions): Reporter {
  const { logger, clock } = opts;
  const { manager: m, global } = opts.config();
  const http = createHttpClient({ caFile: m.caCert || undefined, clientCertFile: m.clientCert || undefined, clientKeyFile: m.clientKey || undefined, token: m.token, timeoutMs: 5000 });
  const reporter = new Reporter({
    apiBaseList: m.apiBaseList,
    http,
    self: () => ({ id: opts.config().global.name, url: opts.url(), token: '', lastOnline: clock.now(), lastRegister: clock.now() }),
    logger,
    ...(opts.maxBackoffMs ? { maxBackoffMs: opts.maxBackoffMs } : {}),
    ...(global.stateDir ? { stateDir: global.stateDir } : {}),
    ...(opts.stateLock ? { stateLock: opts.stateLock } : {}),
  });
  if (!global.stateDir) logger.warn('no state directory (no log_dir, no state_dir): reports are kept in memory only');
  bridgeReporterEvents(reporter, opts.events);
  return reporter;
}
