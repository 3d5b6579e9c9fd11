/**
 * The manager's live events: store changes turned into `job`, `worker` and
 * `maintenance` events with resumable ids, kept in a bounded ring buffer.
 *
 * Source: a store with core's `ChangeFeed` capability (`watchChanges`) is
 * watched; each change names what to re-read (a job is re-read and sent as
 * its `/jobs` entry). A store without it is polled (`pollMs`, default 5 s)
 * while anyone listens, and the differences are sent: the same events,
 * later. Either way the store is only watched while at least one stream is
 * open, so reports cost nothing extra when nobody looks; an id from before
 * such a gap (or older than the buffer, or from another manager process)
 * gets a `resync` event: the client re-reads `/jobs`.
 */
import {
  serializeWebMirrorStatus,
  serializeWorkerStatus,
  type ChangeFeed,
  type JobStore,
  type Logger,
  type MaintenanceState,
  type MaintenanceStore,
  type StoreChange,
} from '@tunasync/core';
import type { Ticker } from './sse-stream.js';
import { intervalTicker } from './sse-stream.js';

/** An event of the hub. */
export interface HubEvent {
  /** `<epoch>-<seq>`: the epoch changes with each manager process. */
  id: string;
  event: 'job' | 'worker' | 'maintenance' | 'resync';
  /** JSON text. */
  data: string;
}

/** Options of EventHub. */
export interface EventHubOptions {
  store: JobStore;
  logger: Logger;
  /** IANA zone of the `/jobs` text times. */
  timeZone?: string;
  /** Events kept for `Last-Event-ID` resume (default 1000). */
  bufferSize?: number;
  /** Poll period for stores without a change feed (default 5000 ms). */
  pollMs?: number;
  ticker?: Ticker;
  /** How long the store stays watched after the last stream ended, so a reconnect resumes (default 60 000 ms). */
  lingerMs?: number;
}

/** A worker's `last_online` moving by less than this (ms) sends no `worker` event. */
export const WORKER_EVENT_MIN_MS = 60_000;

/** Default ring buffer size. */
export const DEFAULT_EVENT_BUFFER = 1000;

const hasFeed = (s: JobStore): s is JobStore & ChangeFeed => typeof (s as Partial<ChangeFeed>).watchChanges === 'function';
const hasMaintenance = (s: JobStore): s is JobStore & MaintenanceStore =>
  typeof (s as Partial<MaintenanceStore>).getMaintenance === 'function';

/** The `maintenance` event's data: `{active:false}` or `{active:true,message,since,until?}`. */
export function maintenanceData(m: MaintenanceState | undefined): string {
  if (!m) return JSON.stringify({ active: false });
  return JSON.stringify({ active: true, message: m.message, since: m.since.toISOString(), ...(m.until ? { until: m.until.toISOString() } : {}) });
}

/** Fans store changes out to event streams. */
export class EventHub {
  private readonly epoch = Date.now().toString(36);
  private seq = 0;
  private ring: HubEvent[] = [];
  /** Sequence numbers ≤ this may have been missed (no watch then). */
  private gapUpTo = 0;
  private readonly listeners = new Set<(e: HubEvent) => void>();
  private unwatch: (() => void) | undefined;
  private pending = new Map<string, StoreChange>();
  private draining: Promise<void> | undefined;
  private snapshot: Map<string, string> | undefined;
  private readonly size: number;
  private linger: NodeJS.Timeout | undefined;
  private readonly workersSent = new Map<string, { url: string; register: number; seen: number }>();

  constructor(private readonly options: EventHubOptions) {
    this.size = options.bufferSize ?? DEFAULT_EVENT_BUFFER;
  }

  /** The id of the last event (what a stream that starts now has seen). */
  get lastId(): string {
    return `${this.epoch}-${this.seq}`;
  }

  /**
   * Events after `lastEventId`, or `undefined` when they cannot be told
   * (another process's id, older than the buffer or a gap): resync.
   */
  since(lastEventId: string): HubEvent[] | undefined {
    const m = /^([0-9a-z]+)-(\d+)$/.exec(lastEventId.trim());
    if (!m || m[1] !== this.epoch) return undefined;
    const n = Number(m[2]);
    if (n > this.seq) return undefined;
    if (n < this.gapUpTo) return undefined;
    const oldest = this.ring.length > 0 ? seqOf(this.ring[0]!) : this.seq + 1;
    if (n < oldest - 1) return undefined;
    return this.ring.filter((e) => seqOf(e) > n);
  }

  /** The resync event for a client that missed events. */
  resyncEvent(reason: string): HubEvent {
    return { id: this.lastId, event: 'resync', data: JSON.stringify({ reason }) };
  }

  /** Adds a listener (a stream); the first one starts watching the store. Returns the remover. */
  subscribe(listener: (e: HubEvent) => void): () => void {
    this.listeners.add(listener);
    clearTimeout(this.linger);
    this.linger = undefined;
    if (!this.unwatch) this.startWatching();
    return () => {
      if (!this.listeners.delete(listener) || this.listeners.size > 0) return;
      this.linger = setTimeout(() => this.stopWatching(), this.options.lingerMs ?? 60_000);
      this.linger.unref();
    };
  }

  /** Stops watching and drops every listener. */
  close(): void {
    clearTimeout(this.linger);
    this.listeners.clear();
    this.stopWatching();
  }

  private startWatching(): void {
    const { store } = this.options;
    if (hasFeed(store)) {
      this.unwatch = store.watchChanges((c) => this.onChange(c));
    } else {
      this.snapshot = undefined;
      void this.poll();
      this.unwatch = (this.options.ticker ?? intervalTicker)(() => void this.poll(), this.options.pollMs ?? 5_000);
    }
  }

  private stopWatching(): void {
    this.linger = undefined;
    if (!this.unwatch) return;
    this.unwatch();
    this.unwatch = undefined;
    this.workersSent.clear();
    this.pending.clear();
    // Whatever happens from now on is not recorded.
    this.gapUpTo = this.seq + 1;
  }

  private emit(event: HubEvent['event'], data: string): void {
    this.seq++;
    const e: HubEvent = { id: this.lastId, event, data };
    this.ring.push(e);
    if (this.ring.length > this.size) this.ring.splice(0, this.ring.length - this.size);
    for (const l of this.listeners) l(e);
  }

  /** Coalesces changes of one turn of the event loop, then re-reads what they name, in order. */
  private onChange(change: StoreChange): void {
    const key =
      change.kind === 'status' ? `s\0${change.worker}\0${change.mirror}` : change.kind === 'worker' ? `w\0${change.worker}` : change.kind;
    this.pending.delete(key);
    this.pending.set(key, change);
    this.draining ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.drain());
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.size > 0) {
        const batch = [...this.pending.values()];
        this.pending.clear();
        for (const c of batch) await this.apply(c);
      }
    } catch (err) {
      this.options.logger.warn(`events: cannot read a change from the store: ${String(err)}`);
      this.emit('resync', JSON.stringify({ reason: 'store read failed' }));
    } finally {
      this.draining = undefined;
    }
  }

  private async apply(c: StoreChange): Promise<void> {
    if (!this.unwatch) return;
    const { store, timeZone } = this.options;
    switch (c.kind) {
      case 'status': {
        const s = await store.getMirrorStatus(c.worker, c.mirror);
        // A removed job: clients re-read /jobs (its entry has nothing to say it is gone).
        if (!s) this.emit('resync', JSON.stringify({ reason: `job ${c.mirror} of ${c.worker} removed` }));
        else this.emit('job', JSON.stringify(serializeWebMirrorStatus(s, timeZone)));
        return;
      }
      case 'worker': {
        const w = await store.getWorker(c.worker);
        if (!w) {
          this.workersSent.delete(c.worker);
          this.emit('worker', JSON.stringify({ id: c.worker, removed: true }));
          return;
        }
        // Every report refreshes its worker's last_online: tell only of a new registration, a new URL,
        // or a last_online that moved by a minute or more (enough for online/offline).
        const sent = this.workersSent.get(w.id);
        const seen = w.lastOnline.getTime();
        if (sent && sent.url === w.url && sent.register === w.lastRegister.getTime() && seen - sent.seen < WORKER_EVENT_MIN_MS) return;
        this.workersSent.set(w.id, { url: w.url, register: w.lastRegister.getTime(), seen });
        this.emit('worker', JSON.stringify(serializeWorkerStatus(w, true)));
        return;
      }
      case 'maintenance':
        this.emit('maintenance', maintenanceData(hasMaintenance(store) ? await store.getMaintenance() : undefined));
        return;
      case 'resync':
        this.emit('resync', JSON.stringify({ reason: 'store changes may have been missed' }));
        return;
    }
  }

  /** Fallback for stores without a change feed: diff the whole state. */
  private async poll(): Promise<void> {
    const { store, timeZone } = this.options;
    try {
      const next = new Map<string, string>();
      for (const s of await store.listAllMirrorStatus()) next.set(`s\0${s.worker}\0${s.name}`, JSON.stringify(serializeWebMirrorStatus(s, timeZone)));
      for (const w of await store.listWorkers()) next.set(`w\0${w.id}`, JSON.stringify(serializeWorkerStatus(w, true)));
      if (hasMaintenance(store)) next.set('maintenance', maintenanceData(await store.getMaintenance()));
      const before = this.snapshot;
      this.snapshot = next;
      if (!before || !this.unwatch) return;
      let removed = false;
      for (const [k, data] of next) {
        if (before.get(k) === data) continue;
        this.emit(k.startsWith('s\0') ? 'job' : k.startsWith('w\0') ? 'worker' : 'maintenance', data);
      }
      for (const k of before.keys()) if (!next.has(k)) removed = true;
      if (removed) this.emit('resync', JSON.stringify({ reason: 'jobs or workers removed' }));
    } catch (err) {
      this.options.logger.warn(`events: cannot poll the store: ${String(err)}`);
    }
  }
}

function seqOf(e: HubEvent): number {
  return Number(e.id.slice(e.id.indexOf('-') + 1));
}
