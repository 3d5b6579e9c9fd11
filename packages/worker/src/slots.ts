/**
 * The `concurrent` limit, shared by every job of a worker: a counting
 * semaphore whose waiters start in order of priority (highest first), then
 * of waiting time (longest first), with aging (a waiting job gains a point
 * of priority per `agingMs` waited, so none starves), under an optional
 * limit of runs per upstream host (`per_upstream_concurrent`) across
 * mirrors. A waiter can be let through past the limits (`start` with
 * `force`) or give up (aborted). Each job takes its slots through its own
 * view (`forMirror`) carrying its priority and upstream host.
 */
import { systemClock, type Clock } from '@tunasync/core';

/** A granted slot; call release once when the run ends. */
export type Release = () => void;

/** Who asks for a slot. */
export interface SlotTicket {
  /** 0..100, default 50. */
  priority?: number;
  /** The upstream host ('' or absent: not limited per host). */
  host?: string;
}

/** Options of ConcurrencySlots. */
export interface SlotOptions {
  /** For waiting times (default: the system clock). */
  clock?: Clock;
  /** Milliseconds of waiting worth one point of priority (default 60 000). */
  agingMs?: number;
}

interface Waiter {
  priority: number;
  host: string;
  since: number;
  seq: number;
  grant: (release: Release) => void;
}

/** The state every view of one worker's slots shares. */
class SlotPool {
  running = 0;
  readonly queue: Waiter[] = [];
  readonly perHost = new Map<string, number>();
  hostDefault = 0;
  hostOverrides: Record<string, number> = {};
  seq = 0;
  readonly clock: Clock;
  readonly agingMs: number;

  constructor(
    public limit: number,
    options: SlotOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.agingMs = options.agingMs ?? 60_000;
  }

  hostLimit(host: string): number {
    if (!host) return 0;
    return this.hostOverrides[host] ?? this.hostDefault;
  }

  hostFree(host: string): boolean {
    const limit = this.hostLimit(host);
    return limit <= 0 || (this.perHost.get(host) ?? 0) < limit;
  }

  take(host: string): Release {
    this.running += 1;
    if (host) this.perHost.set(host, (this.perHost.get(host) ?? 0) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.running -= 1;
      if (host) {
        const n = (this.perHost.get(host) ?? 1) - 1;
        if (n <= 0) this.perHost.delete(host);
        else this.perHost.set(host, n);
      }
      this.drain();
    };
  }

  /** Highest priority (aged) first, then the longest waiting: priority × agingMs − since orders them for any now. */
  private rank(w: Waiter): number {
    return w.priority * this.agingMs - w.since;
  }

  drain(): void {
    while (this.running < this.limit && this.queue.length > 0) {
      let best: Waiter | undefined;
      for (const w of this.queue) {
        if (!this.hostFree(w.host)) continue;
        if (!best || this.rank(w) > this.rank(best) || (this.rank(w) === this.rank(best) && w.seq < best.seq)) best = w;
      }
      if (!best) return;
      this.remove(best);
      best.grant(this.take(best.host));
    }
  }

  remove(w: Waiter): boolean {
    const i = this.queue.indexOf(w);
    if (i < 0) return false;
    this.queue.splice(i, 1);
    return true;
  }
}

/** Counts running jobs against `limit` (and per upstream host). */
export class ConcurrencySlots {
  private pool: SlotPool;
  private ticket: Required<SlotTicket> = { priority: 50, host: '' };

  constructor(limit: number, options: SlotOptions = {}) {
    this.pool = new SlotPool(Math.max(1, limit), options);
  }

  /** A view of the same slots for one job: its runs wait with `ticket`'s priority and count against its host. */
  forMirror(ticket: SlotTicket): ConcurrencySlots {
    const view = new ConcurrencySlots(1);
    view.pool = this.pool;
    view.ticket = { priority: ticket.priority ?? 50, host: ticket.host ?? '' };
    return view;
  }

  /** Jobs holding a slot (including forced ones). */
  get active(): number {
    return this.pool.running;
  }

  /** Runs holding a slot against `host`. */
  activeFor(host: string): number {
    return this.pool.perHost.get(host) ?? 0;
  }

  /** Jobs waiting for a slot. */
  get waiting(): number {
    return this.pool.queue.length;
  }

  /** Changes the limit (on reload); waiters start if room appears. */
  setLimit(limit: number): void {
    this.pool.limit = Math.max(1, limit);
    this.pool.drain();
  }

  /** Sets the runs allowed at once per upstream host: `defaultLimit` (0: no limit) unless `overrides` names the host. */
  setHostLimits(defaultLimit: number, overrides: Record<string, number> = {}): void {
    this.pool.hostDefault = defaultLimit;
    this.pool.hostOverrides = Object.fromEntries(Object.entries(overrides).map(([h, n]) => [h.toLowerCase(), n]));
    this.pool.drain();
  }

  /**
   * Waits for a slot. Resolves with its release, or with undefined when
   * `signal` aborts first. The returned `bypass` lets this waiter through
   * at once, past the limits.
   */
  acquire(signal: AbortSignal, ticket: SlotTicket = this.ticket): { slot: Promise<Release | undefined>; bypass: () => void } {
    const pool = this.pool;
    let bypass: () => void = () => {};
    const slot = new Promise<Release | undefined>((resolve) => {
      if (signal.aborted) return resolve(undefined);
      const onAbort = (): void => {
        pool.remove(waiter);
        resolve(undefined);
      };
      const waiter: Waiter = {
        priority: ticket.priority ?? 50,
        host: ticket.host ?? '',
        since: pool.clock.now().getTime(),
        seq: pool.seq++,
        grant: (release) => {
          signal.removeEventListener('abort', onAbort);
          resolve(release);
        },
      };
      signal.addEventListener('abort', onAbort, { once: true });
      pool.queue.push(waiter);
      bypass = () => {
        if (pool.remove(waiter)) waiter.grant(pool.take(waiter.host));
      };
      pool.drain();
    });
    return { slot, bypass: () => bypass() };
  }
}
