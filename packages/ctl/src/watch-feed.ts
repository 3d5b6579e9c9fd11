/**
 * Where `tunasynctl watch` gets its news: the manager's `GET /events`
 * (Server-Sent Events: `event: job` with a job's `/jobs` entry, `event:
 * worker`, `event: maintenance`), or, when the manager has none (404/405:
 * tunasync's), a snapshot every `pollMs`. A broken stream is opened again
 * after the server's `retry:` (3 s by default) from `Last-Event-ID`, with a
 * fresh snapshot so nothing missed stays wrong.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { MirrorStatus } from '@tunasync/core';
import type { ManagerClient } from './client.js';
import { ManagerRequestError } from './errors.js';
import { SseParser } from './sse.js';
import { parseJobEvent } from './watch-model.js';

/** What the feed tells the watcher. */
export interface FeedSink {
  /** Every job now (start, poll, after a reconnect, after `event: worker`). */
  snapshot(jobs: MirrorStatus[]): void;
  /** One job changed (its worker when the event says). */
  job(job: MirrorStatus, worker: string | undefined): void;
  /** The feed's state for the title line. */
  feed(text: string): void;
  /** `event: maintenance`: its message when on, undefined when off. */
  maintenance(notice: string | undefined): void;
}

/** How the feed runs. */
export interface FeedOptions {
  /** Reads every job with its worker. */
  readAll(): Promise<MirrorStatus[]>;
  /** Polling interval without /events, in ms (default 2000). */
  pollMs?: number;
  /** Stops everything. */
  signal: AbortSignal;
}

/** The notice of an `event: maintenance` (undefined: maintenance is off). */
export function maintenanceNotice(data: string): string | undefined {
  try {
    const o = JSON.parse(data) as Record<string, unknown>;
    if (o.on === false || o.enabled === false || o.active === false) return undefined;
    if (typeof o.message === 'string') return o.message || 'on';
    return o.on === true || o.enabled === true || o.active === true ? 'on' : undefined;
  } catch {
    return undefined;
  }
}

/** Polls until aborted. */
async function poll(opts: FeedOptions, sink: FeedSink): Promise<void> {
  const every = opts.pollMs ?? 2000;
  sink.feed(`polling every ${every / 1000}s`);
  while (!opts.signal.aborted) {
    try {
      await sleep(every, undefined, { signal: opts.signal });
    } catch {
      return;
    }
    try {
      sink.snapshot(await opts.readAll());
      sink.feed(`polling every ${every / 1000}s`);
    } catch (err) {
      if (opts.signal.aborted) return;
      sink.feed(`manager unreachable, retrying: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

/**
 * Runs the feed until `signal` aborts: the first snapshot (its failure is
 * thrown: the command ends with it), then events or polling.
 */
export async function runFeed(client: ManagerClient, opts: FeedOptions, sink: FeedSink): Promise<void> {
  const { signal } = opts;
  sink.snapshot(await opts.readAll());
  let lastId: string | undefined;
  let retryMs = 3000;
  let fresh = true;
  while (!signal.aborted) {
    try {
      if (!fresh) sink.snapshot(await opts.readAll());
      fresh = false;
      const { status, body } = await client.openStream('/events', { signal, ...(lastId !== undefined ? { headers: { 'last-event-id': lastId } } : {}) });
      if (status === 404 || status === 405) {
        body.destroy();
        return poll(opts, sink);
      }
      if (status === 401) {
        body.destroy();
        throw new ManagerRequestError('unauthorized', 'token missing or wrong: the manager refused GET /events', { url: `${client.baseUrl}/events`, status });
      }
      if (status !== 200) {
        body.destroy();
        throw new Error(`GET /events answered HTTP ${status}`);
      }
      sink.feed('live');
      const parser = new SseParser();
      body.setEncoding('utf8');
      let resnap = false;
      for await (const chunk of body as AsyncIterable<string>) {
        for (const e of parser.push(chunk)) {
          if (e.id !== undefined) lastId = e.id;
          if (e.retry !== undefined) retryMs = e.retry;
          if (e.event === 'job') {
            const parsed = parseJobEvent(e.data);
            if (parsed) sink.job(parsed.job, parsed.worker);
          } else if (e.event === 'worker') resnap = true;
          else if (e.event === 'maintenance') sink.maintenance(maintenanceNotice(e.data));
        }
        if (resnap) {
          resnap = false;
          sink.snapshot(await opts.readAll());
        }
      }
      if (signal.aborted) return;
      sink.feed('reconnecting…');
    } catch (err) {
      if (signal.aborted) return;
      if (err instanceof ManagerRequestError && err.kind === 'unauthorized') throw err;
      sink.feed(`reconnecting… (${err instanceof Error ? err.message : String(err)})`);
    }
    try {
      await sleep(retryMs, undefined, { signal });
    } catch {
      return;
    }
  }
}
