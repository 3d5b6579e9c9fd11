/**
 * The manager's notification service, wired from manager.conf `[[notify]]`:
 * the Notifier (what to queue), the Dispatcher (sending, under the lease)
 * and the periodic checks. startManager makes one and closes it on stop.
 */
import { createHttpClient, type Clock, type JobStore, type Logger, type ManagerConfig } from '@tunasync/core';
import { periodicChecks, CHECK_EVERY_MS } from './checks.js';
import type { HttpClient } from './deliver.js';
import { Dispatcher } from './dispatcher.js';
import { Notifier, receiversOf } from './notifier.js';

/** Options of startNotifications. */
export interface NotificationOptions {
  config: ManagerConfig;
  store: JobStore;
  logger: Logger;
  clock: Clock;
  /** Dispatcher round interval, in ms (default 5000). */
  tickMs?: number;
  /** Interval of the stale/offline checks, in ms of `clock` (default 60 000). */
  checkEveryMs?: number;
  /** Timeout of one delivery, in ms (default 10 000). */
  timeoutMs?: number;
  /** The HTTP client (default: got with the timeout, no retries). */
  http?: HttpClient;
  /** The lease holder's name (default: random per process). */
  holder?: string;
}

/** A running notification service. */
export interface Notifications {
  notifier: Notifier;
  dispatcher: Dispatcher;
  /** Stops sending (queued alerts stay for the next start). */
  close(): Promise<void>;
}

/** Starts the service; with no `[[notify]]` entry it still releases held alerts (none are queued). */
export function startNotifications(o: NotificationOptions): Notifications {
  const receivers = receiversOf(o.config.notify ?? []);
  let dispatcher: Dispatcher | undefined;
  const notifier = new Notifier({ receivers, store: o.store, logger: o.logger, clock: o.clock, queued: () => dispatcher?.wake() });
  dispatcher = new Dispatcher({
    store: o.store,
    logger: o.logger,
    clock: o.clock,
    http: o.http ?? createHttpClient({ timeoutMs: o.timeoutMs ?? 10_000, retries: 0 }),
    receivers,
    ...(receivers.length > 0 ? { checks: periodicChecks(o.store, notifier, o.clock, o.checkEveryMs ?? CHECK_EVERY_MS) } : {}),
    ...(o.tickMs !== undefined ? { tickMs: o.tickMs } : {}),
    ...(o.holder !== undefined ? { holder: o.holder } : {}),
  });
  if (receivers.length > 0) {
    dispatcher.start();
    o.logger.info(`notifications: ${receivers.length} receiver(s) configured`);
  }
  const d = dispatcher;
  return { notifier, dispatcher: d, close: () => d.close() };
}
