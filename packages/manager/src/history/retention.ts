/**
 * Retention of the run history (`[history] keep`, `max_age`), amortised so
 * that it never delays a status report: after a report that ended a run,
 * that job is pruned in the background (its own write, not awaited by the
 * report) on every `ceil(keep / 10)`-th end in this process, so a job holds
 * at most `keep + ceil(keep / 10) - 1` runs between prunes (a restart may
 * add that once more); and at most once an hour of the injected clock, every
 * job is swept by age in chunks of 1000 rows (jobs that stopped reporting
 * age out too). Failures are logged, never thrown.
 */
import {
  DEFAULT_HISTORY_KEEP,
  DEFAULT_HISTORY_MAX_AGE_S,
  errorMessage,
  type Clock,
  type JobStore,
  type Logger,
  type ManagerConfig,
} from '@tunasync/core';

/** Rows the age sweep deletes per write. */
export const SWEEP_CHUNK = 1000;
/** Least time between two age sweeps, in ms of the manager's clock. */
export const SWEEP_INTERVAL_MS = 3_600_000;

/** The `[history]` policy with defaults applied. */
export function historyPolicy(config: ManagerConfig): { keep: number; maxAgeS: number } {
  return {
    keep: config.history?.keep ?? DEFAULT_HISTORY_KEEP,
    maxAgeS: config.history?.maxAgeS ?? DEFAULT_HISTORY_MAX_AGE_S,
  };
}

/** Prunes runs after reports that ended one. */
export class RunRetention {
  private readonly ends = new Map<string, number>();
  private readonly every: number;
  private lastSweep = Number.NEGATIVE_INFINITY;
  private pending = new Set<Promise<void>>();

  constructor(
    private readonly store: JobStore,
    private readonly logger: Logger,
    private readonly clock: Clock,
    private readonly policy: { keep: number; maxAgeS: number },
  ) {
    this.every = Math.max(1, Math.ceil(policy.keep / 10));
  }

  /** Call after a report that ended (or aborted) a run of job (worker, mirror); returns at once. */
  runEnded(worker: string, mirror: string): void {
    const key = `${worker}\u0000${mirror}`;
    const n = (this.ends.get(key) ?? 0) + 1;
    this.ends.set(key, n >= this.every ? 0 : n);
    const now = this.clock.now().getTime();
    const olderThan = new Date(now - this.policy.maxAgeS * 1000);
    if (n >= this.every) {
      this.track(this.store.pruneRuns(worker, mirror, { keep: this.policy.keep, olderThan }).then(() => undefined), `${mirror} on ${worker}`);
    }
    if (now - this.lastSweep >= SWEEP_INTERVAL_MS) {
      this.lastSweep = now;
      this.track(this.sweep(olderThan), 'every mirror by age');
    }
  }

  /** Resolves when no pruning is in flight (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  private async sweep(olderThan: Date): Promise<void> {
    let total = 0;
    for (;;) {
      const n = await this.store.pruneOldRuns(olderThan, SWEEP_CHUNK);
      total += n;
      if (n < SWEEP_CHUNK) break;
    }
    if (total > 0) this.logger.info(`history: deleted ${total} run(s) older than ${olderThan.toISOString()}`, { count: total });
  }

  private track(p: Promise<void>, what: string): void {
    const tracked = p
      .catch((err: unknown) => this.logger.warn(`history: pruning runs of ${what} failed: ${errorMessage(err)}`))
      .finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }
}
