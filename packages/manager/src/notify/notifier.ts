/**
 * Turns what the manager sees into queued alerts: status reports (a run
 * closed as `failed` after exactly `after_failures` failures in a row, the
 * first success after that), stale mirrors, workers going offline and
 * coming back. Each alert goes to every `[[notify]]` receiver that wants its
 * event and whose `mirrors` globs route its mirror, with a dedupe key per
 * receiver and transition, so it fires once however often it is seen.
 * While maintenance mode is on, alerts are queued held. Never throws into
 * the caller: a status report is answered before any of this runs.
 */
import { mirrorRouter, type JobStore, type Logger, type Clock, type MirrorStatus, type NotifyConfig, type RunHistoryStep, type WorkerStatus } from '@tunasync/core';
import type { Alert } from './alert.js';
import { failureStreak } from './streak.js';

/** A status report as the route saw it. */
export interface StatusReportSeen {
  worker: string;
  previous: MirrorStatus | undefined;
  next: MirrorStatus;
  step: RunHistoryStep | undefined;
}

/** One receiver with its routing compiled. */
export interface Receiver extends NotifyConfig {
  routes: (mirror: string) => boolean;
}

/** Compiles `[[notify]]` entries (already checked at load). */
export function receiversOf(entries: readonly NotifyConfig[]): Receiver[] {
  return entries.map((e) => ({ ...e, routes: mirrorRouter(e.mirrors) }));
}

/** Options of Notifier. */
export interface NotifierOptions {
  receivers: Receiver[];
  store: JobStore;
  logger: Logger;
  clock: Clock;
  /** Called after something was queued (the dispatcher delivers at once). */
  queued?: () => void;
}

/** Queues alerts for the receivers that want them. */
export class Notifier {
  private readonly chains = new Map<string, Promise<void>>();
  private readonly cap: number;

  constructor(private readonly o: NotifierOptions) {
    this.cap = Math.max(1, ...o.receivers.map((r) => r.afterFailures)) + 1;
  }

  /** Whether any receiver is configured. */
  get enabled(): boolean {
    return this.o.receivers.length > 0;
  }

  /**
   * Queues `alert` (identified by `key`) for each receiver wanting its event
   * and routing its mirror, and passing `accept`; held while maintenance is
   * on. Returns how many were newly queued.
   */
  async raise(alert: Alert, key: string, accept: (r: Receiver) => boolean = () => true): Promise<number> {
    const targets = this.o.receivers.filter(
      (r) => alert.event !== 'maintenance_summary' && r.events.includes(alert.event) && (alert.mirror === undefined || r.routes(alert.mirror)) && accept(r),
    );
    if (targets.length === 0) return 0;
    const held = (await this.o.store.getMaintenance()) !== undefined;
    const payload = JSON.stringify(alert);
    const n = await this.o.store.enqueueNotifications(targets.map((r) => ({ receiver: r.name, dedupeKey: `${r.name}|${key}`, payload, held })));
    if (n > 0) {
      this.o.logger.info(`alert ${alert.event}${alert.mirror ? ` for ${alert.mirror}` : ''}${alert.worker ? ` @<${alert.worker}>` : ''} queued for ${n} receiver(s)${held ? ', held during maintenance' : ''}`);
      this.o.queued?.();
    }
    return n;
  }

  /** Looks at a stored status report (in the background, in report order per job; errors are logged). */
  statusReported(seen: StatusReportSeen): void {
    if (!this.enabled) return;
    const job = `${seen.worker}/${seen.next.name}`;
    const prior = this.chains.get(job) ?? Promise.resolve();
    const next = prior
      .then(() => this.onStatus(seen))
      .catch((err: unknown) => this.o.logger.error(`alert check for ${job} failed: ${(err as Error).message}`))
      .finally(() => {
        if (this.chains.get(job) === next) this.chains.delete(job);
      });
    this.chains.set(job, next);
  }

  /** Resolves when every status report seen so far was looked at. */
  async idle(): Promise<void> {
    while (this.chains.size > 0) await Promise.all([...this.chains.values()]);
  }

  private async onStatus({ worker, next, step }: StatusReportSeen): Promise<void> {
    if (step?.kind !== 'close') return;
    const mirror = next.name;
    const streak = await failureStreak(this.o.store, worker, mirror, this.cap);
    const time = this.o.clock.now().toISOString();
    const ended = next.lastEnded.getTime();
    if (step.result === 'failed') {
      await this.raise(
        { event: 'failed', time, worker, mirror, failures: streak, ...(next.errorMsg ? { error: next.errorMsg } : {}) },
        `failed:${worker}/${mirror}:${ended}`,
        (r) => streak === r.afterFailures,
      );
    } else if (streak > 0) {
      await this.raise({ event: 'recovered', time, worker, mirror, failures: streak }, `recovered:${worker}/${mirror}:${ended}`, (r) => streak >= r.afterFailures);
    }
  }

  /** A worker was heard from after being offline (`previous` is what the store had). */
  async workerBack(previous: WorkerStatus): Promise<void> {
    await this.raise(
      { event: 'worker_online', time: this.o.clock.now().toISOString(), worker: previous.id, last_seen: previous.lastOnline.toISOString() },
      `worker_online:${previous.id}:${previous.lastOnline.getTime()}`,
    );
  }
}
