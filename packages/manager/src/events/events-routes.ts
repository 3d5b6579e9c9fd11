/**
 * `GET /events` (read scope, as `/jobs`): Server-Sent Events of the site.
 *
 * - `event: job`, data: the job's `/jobs` entry (exactly that shape);
 * - `event: worker`, data: the worker as `GET /workers` shows it (token
 *   redacted), or `{"id": …, "removed": true}`;
 * - `event: maintenance`, data: `{"active": false}` or
 *   `{"active": true, "message", "since", "until"?}`;
 * - `event: resync`, data `{"reason"}`: events were missed (a job removed, a
 *   `Last-Event-ID` too old or from before a restart): re-read `/jobs`.
 *
 * Every event has an `id:`; a reconnect with `Last-Event-ID` (or
 * `?last_event_id=`) gets what it missed from a bounded buffer. `retry: 3000`
 * first, `: keep-alive` every 15 s. At most `maxStreamsPerAddress` open
 * streams per client address (429 `too_many_streams` beyond).
 */
import { TunasyncError } from '@tunasync/core';
import type { Request, Response } from 'express';
import type { ManagerRouteContext, ManagerRouteModule } from '../route-module.js';
import { EventHub } from './event-hub.js';
import { SseStream, type Ticker } from './sse-stream.js';

/** Default cap of open streams per client address. */
export const DEFAULT_MAX_STREAMS_PER_ADDRESS = 8;

/** Options of the events module (tests inject timers and small limits). */
export interface EventsRoutesOptions {
  ticker?: Ticker;
  keepAliveMs?: number;
  maxStreamsPerAddress?: number;
  bufferSize?: number;
  pollMs?: number;
  lingerMs?: number;
}

function lastEventId(req: Request): string | undefined {
  const h = req.get('last-event-id');
  if (h) return h;
  const q = req.query.last_event_id;
  return typeof q === 'string' && q !== '' ? q : undefined;
}

/** The `/events` route module. */
export function eventsRoutes(options: EventsRoutesOptions = {}): ManagerRouteModule {
  return {
    name: 'events',
    mount(router, ctx: ManagerRouteContext) {
      const hub = new EventHub({
        store: ctx.store,
        logger: ctx.logger,
        ...(ctx.timeZone !== undefined ? { timeZone: ctx.timeZone } : {}),
        ...(options.bufferSize !== undefined ? { bufferSize: options.bufferSize } : {}),
        ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
        ...(options.lingerMs !== undefined ? { lingerMs: options.lingerMs } : {}),
        ...(options.ticker ? { ticker: options.ticker } : {}),
      });
      const perAddress = new Map<string, number>();
      const open = new Set<SseStream>();
      const max = options.maxStreamsPerAddress ?? DEFAULT_MAX_STREAMS_PER_ADDRESS;
      ctx.signal?.addEventListener('abort', () => {
        for (const s of open) s.close();
        hub.close();
      });

      router.get('/events', ctx.auth.read, (req: Request, res: Response) => {
        if (ctx.signal?.aborted) throw new TunasyncError('INTERNAL', 503, 'the manager is stopping', { wireCode: 'stopping' });
        const address = req.socket.remoteAddress ?? '';
        const count = perAddress.get(address) ?? 0;
        if (count >= max) {
          throw new TunasyncError('FORBIDDEN', 429, `at most ${max} event streams per client address are open at once`, { wireCode: 'too_many_streams' });
        }
        perAddress.set(address, count + 1);
        const stream = new SseStream(res, {
          ...(options.ticker ? { ticker: options.ticker } : {}),
          ...(options.keepAliveMs !== undefined ? { keepAliveMs: options.keepAliveMs } : {}),
        });
        open.add(stream);
        const unsubscribe = hub.subscribe((e) => stream.send(e.event, e.data, e.id));
        stream.onClose(() => {
          unsubscribe();
          open.delete(stream);
          const n = (perAddress.get(address) ?? 1) - 1;
          if (n > 0) perAddress.set(address, n);
          else perAddress.delete(address);
        });
        const resumeFrom = lastEventId(req);
        if (resumeFrom !== undefined) {
          const missed = hub.since(resumeFrom);
          if (missed === undefined) {
            const e = hub.resyncEvent('Last-Event-ID is too old or from another manager process');
            stream.send(e.event, e.data, e.id);
          } else {
            for (const e of missed) stream.send(e.event, e.data, e.id);
          }
        }
      });
    },
  };
}
