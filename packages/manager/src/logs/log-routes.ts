/**
 * The manager's log routes (issue 15), a built-in route module proxying to
 * the worker that runs the mirror (tunasync-rs's paths, so its clients work):
 *
 * - `GET /jobs/:mirror/log?run=&tail=&offset=&worker=`: the log as text;
 * - `GET /jobs/:mirror/log/stream?tail=&offset=&worker=`: Server-Sent Events.
 *
 * Auth: log-auth.ts. A mirror on several workers needs `worker=W` (409
 * `ambiguous_worker` listing them); streams per client address are bounded.
 * Clients following the same log at once share one request to the worker
 * (stream-hub.ts).
 */
import { readFileSync } from 'node:fs';
import type { NextFunction, Request, Response, Router } from 'express';
import type { ManagerRouteContext, ManagerRouteModule } from '../route-module.js';
import { requireLogReader } from './log-auth.js';
import { proxyLog, type LogProxyOptions } from './log-proxy.js';
import { LogStreamHub, type LogStreamHubOptions } from './stream-hub.js';
import { AmbiguousWorkerError, logWorker } from './log-target.js';
import { TunasyncError, ValidationError } from '@tunasync/core';

/** Streams one client address may hold open through the manager. */
export const MANAGER_STREAMS_PER_ADDRESS = 32;

/** Options of the log routes. */
export interface ManagerLogRoutesOptions {
  /** Streams per client address (default 32). */
  streamsPerAddress?: number;
  /** How shared upstream streams queue, wait and time out (timers for tests). */
  streams?: LogStreamHubOptions;
}

/** The log routes as a manager route module. */
export function logRoutes(options: ManagerLogRoutesOptions = {}): ManagerRouteModule {
  return {
    name: 'logs',
    mount(router: Router, ctx: ManagerRouteContext): void {
      const { config, store, logger, auth } = ctx;
      const ca = config.files.caCert ? readFileSync(config.files.caCert) : undefined;
      const limit = options.streamsPerAddress ?? MANAGER_STREAMS_PER_ADDRESS;
      const open = new Map<string, number>();
      const reader = requireLogReader(config, auth);
      const hub = new LogStreamHub(options.streams);

      const forward = (route: 'log' | 'log/stream') => async (req: Request, res: Response, next: NextFunction): Promise<void> => {
        try {
          const mirror = String(req.params.mirror ?? '');
          const w = req.query.worker;
          if (w !== undefined && typeof w !== 'string') throw new ValidationError('worker: must be given once, as a plain value', 'worker');
          const worker = await logWorker(store, mirror, w);
          const address = req.socket.remoteAddress ?? '';
          if (route === 'log/stream') {
            const n = open.get(address) ?? 0;
            if (n >= limit) throw new TunasyncError('BAD_REQUEST', 429, `too many log streams from ${address} (${limit})`, { wireCode: 'too_many_streams' });
            open.set(address, n + 1);
          }
          try {
            const target: LogProxyOptions = {
              worker,
              route,
              mirror,
              token: auth.workerToken(worker.id) ?? (worker.token || undefined),
              ca,
              allowWorkerUrls: config.server.allowWorkerUrls ?? [],
              logger,
            };
            await (route === 'log/stream' ? hub.follow(req, res, target) : proxyLog(req, res, target));
          } finally {
            if (route === 'log/stream') {
              const n = (open.get(address) ?? 1) - 1;
              if (n > 0) open.set(address, n);
              else open.delete(address);
            }
          }
        } catch (err) {
          if (err instanceof AmbiguousWorkerError && !res.headersSent) {
            res.status(409).json({ error: err.message, code: err.wireCode, workers: err.workers });
            return;
          }
          if (res.headersSent) {
            res.destroy();
            return;
          }
          next(err);
        }
      };
      router.get('/jobs/:mirror/log', reader, forward('log'));
      router.get('/jobs/:mirror/log/stream', reader, forward('log/stream'));
    },
  };
}
