/**
 * Sends the queued alerts. One manager at a time does (the `notify` lease:
 * with several managers on one store, each alert goes out once); the holder
 * claims due items and hands them to one lane per receiver, so a slow or
 * failing receiver never delays another. A failed attempt is retried with
 * exponential backoff (30 s doubling to 1 h, jittered) until 24 h after the
 * alert was queued, then dropped as dead (logged). Under the lease it also
 * sends the summary of alerts held during maintenance once maintenance is
 * off, and runs the periodic checks (stale mirrors, offline workers).
 */
import { randomBytes } from 'node:crypto';
import type { Clock, JobStore, Logger, QueuedNotification } from '@tunasync/core';
import type { Alert } from './alert.js';
import { deliverAlert, type HttpClient } from './deliver.js';
import type { Receiver } from './notifier.js';

/** The lease's name. */
export const NOTIFY_LEASE = 'notify';
/** How long a failing alert is retried, in ms. */
export const RETRY_FOR_MS = 24 * 3600_000;
const FIRST_BACKOFF_MS = 30_000;
const MAX_BACKOFF_MS = 3600_000;
/** How long a claimed item stays ours before another manager may take it, in ms. */
const CLAIM_MS = 10 * 60_000;

/** Options of Dispatcher. */
export interface DispatcherOptions {
  store: JobStore;
  logger: Logger;
  clock: Clock;
  http: HttpClient;
  receivers: Receiver[];
  /** Periodic work done under the lease (stale and offline checks). */
  checks?: () => Promise<void>;
  /** How often it looks for work, in ms (default 5000). */
  tickMs?: number;
  /** Most alerts in flight at once (default 100). */
  maxInFlight?: number;
  /** This manager's name for the lease (default: random). */
  holder?: string;
  /** Random numbers in [0, 1) for the jitter (default Math.random). */
  random?: () => number;
}

/** The retry time of an attempt, or undefined when the alert is past its 24 h. */
export function nextAttempt(item: Pick<QueuedNotification, 'attempts' | 'createdAt'>, now: Date, random: () => number): Date | undefined {
  const base = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** Math.min(item.attempts, 20));
  const at = now.getTime() + Math.round(base * (0.5 + random() / 2));
  return at - item.createdAt.getTime() > RETRY_FOR_MS ? undefined : new Date(at);
}

/** The queue's sender. */
export class Dispatcher {
  readonly holder: string;
  private readonly lanes = new Map<string, { queue: QueuedNotification[]; running?: Promise<void> }>();
  private readonly byName: Map<string, Receiver>;
  private readonly stop = new AbortController();
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private again = false;
  private holding = false;
  private started = false;

  constructor(private readonly o: DispatcherOptions) {
    this.holder = o.holder ?? `manager-${process.pid}-${randomBytes(4).toString('hex')}`;
    this.byName = new Map(o.receivers.map((r) => [r.name, r]));
  }

  /** Starts looking for work every tick. */
  start(): void {
    this.started = true;
    this.schedule(0);
  }

  /** Looks for work now (something was queued). */
  wake(): void {
    if (this.stop.signal.aborted || !this.started) return;
    if (this.ticking) this.again = true;
    else this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stop.signal.aborted) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), ms);
    this.timer.unref();
  }

  /** One round: lease, held summary, checks, claims. Resolves when the round (not its deliveries) is done. */
  async tick(): Promise<void> {
    if (this.ticking) return this.ticking;
    this.ticking = this.round()
      .catch((err: unknown) => this.o.logger.error(`notification dispatcher: ${(err as Error).message}`))
      .finally(() => {
        this.ticking = undefined;
        const soon = this.again;
        this.again = false;
        this.schedule(soon ? 0 : (this.o.tickMs ?? 5000));
      });
    return this.ticking;
  }

  private async round(): Promise<void> {
    const { store } = this.o;
    const leaseMs = Math.max(30_000, 3 * (this.o.tickMs ?? 5000));
    const held = await store.acquireLease(NOTIFY_LEASE, this.holder, leaseMs);
    if (held !== this.holding) this.o.logger.info(held ? 'this manager sends the notifications (lease taken)' : 'another manager sends the notifications');
    this.holding = held;
    if (!held) return;
    if ((await store.getMaintenance()) === undefined) await this.releaseHeld();
    await this.o.checks?.();
    const room = (this.o.maxInFlight ?? 100) - this.inFlight;
    if (room <= 0) return;
    for (const item of await store.claimNotifications(this.holder, room, CLAIM_MS)) this.toLane(item);
  }

  /** Maintenance is off: the alerts held meanwhile go out as one summary per receiver. */
  private async releaseHeld(): Promise<void> {
    const held = await this.o.store.takeHeldNotifications();
    if (held.length === 0) return;
    const per = new Map<string, QueuedNotification[]>();
    for (const n of held) per.set(n.receiver, [...(per.get(n.receiver) ?? []), n]);
    const time = this.o.clock.now().toISOString();
    const items = [...per].map(([receiver, list]) => {
      const alerts = list.map((n) => JSON.parse(n.payload) as Alert);
      const summary: Alert = { event: 'maintenance_summary', time, held: alerts };
      return { receiver, dedupeKey: `${receiver}|summary:${list[0]!.id}:${list.length}:${time}`, payload: JSON.stringify(summary) };
    });
    await this.o.store.enqueueNotifications(items);
    this.o.logger.info(`maintenance is off: ${held.length} held alert(s) go out as ${items.length} summary(ies)`);
  }

  private toLane(item: QueuedNotification): void {
    let lane = this.lanes.get(item.receiver);
    if (!lane) this.lanes.set(item.receiver, (lane = { queue: [] }));
    lane.queue.push(item);
    this.inFlight++;
    if (!lane.running) {
      const l = lane;
      l.running = this.drain(item.receiver, l).finally(() => {
        l.running = undefined;
        if (l.queue.length === 0) this.lanes.delete(item.receiver);
      });
    }
  }

  /** Sends a receiver's items in order; after a failed attempt the rest of its batch waits for the retry too. */
  private async drain(name: string, lane: { queue: QueuedNotification[] }): Promise<void> {
    let failure: string | undefined;
    while (lane.queue.length > 0) {
      const item = lane.queue.shift()!;
      try {
        failure = await this.send(name, item, failure);
      } catch (err) {
        this.o.logger.error(`notification ${item.id} for ${name}: ${(err as Error).message}`);
      } finally {
        this.inFlight--;
      }
    }
  }

  /** One item; returns the error when the receiver failed (then later items are not tried this round). */
  private async send(name: string, item: QueuedNotification, earlier: string | undefined): Promise<string | undefined> {
    const { store, logger } = this.o;
    const receiver = this.byName.get(name);
    if (!receiver) {
      await store.finishNotification(item.id, { kind: 'dead', error: 'receiver no longer in manager.conf' });
      logger.warn(`dropped a queued alert for receiver ${name}: no [[notify]] entry has that name any more`);
      return earlier;
    }
    let attempt: Awaited<ReturnType<typeof deliverAlert>>;
    if (earlier !== undefined) attempt = { ok: false, permanent: false, error: earlier };
    else if (this.stop.signal.aborted) attempt = { ok: false, permanent: false, error: 'manager stopping' };
    else attempt = await deliverAlert(this.o.http, receiver, JSON.parse(item.payload) as Alert, this.stop.signal);
    if (attempt.ok) {
      await store.finishNotification(item.id, { kind: 'delivered' });
      logger.debug(`alert delivered to ${name}`);
      return undefined;
    }
    const at = attempt.permanent ? undefined : nextAttempt(item, this.o.clock.now(), this.o.random ?? Math.random);
    if (at) {
      await store.finishNotification(item.id, { kind: 'retry', at, error: attempt.error });
      if (earlier === undefined) logger.warn(`alert to ${name} failed: ${attempt.error}; retrying at ${at.toISOString()}`);
    } else {
      await store.finishNotification(item.id, { kind: 'dead', error: attempt.error });
      logger.error(`alert to ${name} dropped as dead: ${attempt.error}${attempt.permanent ? ' (refused)' : ' (retried for 24 h)'}`);
    }
    return attempt.error;
  }

  /** Stops: no new rounds, requests in flight cancelled (their items retry later), the lease given up. */
  async close(): Promise<void> {
    this.stop.abort();
    clearTimeout(this.timer);
    await this.ticking;
    await Promise.all([...this.lanes.values()].map((l) => l.running));
    if (this.holding) await this.o.store.releaseLease(NOTIFY_LEASE, this.holder).catch(() => undefined);
  }
}
