/**
 * What each job's schedule knows: its policy and its last run. The worker
 * tells it when a run was due, started by hand, ended, or held (stop,
 * disable); it asks the policy when the next run is due, moves that to the
 * job's place in the spread window and out of its blackout windows
 * (gate.ts), and arms the timer-only Scheduler. This is the only place that
 * turns "a run happened" into "the next run is at…".
 */
import type { Clock, Logger } from '@tunasync/core';
import type { Scheduler } from '../scheduler.js';
import { startTime } from './gate.js';
import type { LastRun, SchedulePolicy } from './policy.js';
import { spreadOffsets } from './spread.js';

/** Options of JobSchedules. */
export interface JobSchedulesOptions {
  /** `[global] spread` in milliseconds, read at each arming (default: none). */
  spreadMs?: () => number;
}

interface Entry {
  policy: SchedulePolicy;
  last: LastRun;
}

/** The schedule state of every job. */
export class JobSchedules {
  private readonly entries = new Map<string, Entry>();
  private offsets: { spreadMs: number; byName: Map<string, number> } | undefined;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: JobSchedulesOptions = {},
  ) {}

  /** Starts tracking `name` with `policy` (replacing what was tracked), without arming it. */
  track(name: string, policy: SchedulePolicy, last: LastRun = {}): void {
    if (!this.entries.has(name)) this.offsets = undefined;
    this.entries.set(name, { policy, last: { ...last } });
  }

  /** Stops tracking `name` and drops its pending run. */
  forget(name: string): void {
    this.scheduler.cancel(name);
    if (this.entries.delete(name)) this.offsets = undefined;
  }

  /** The place of `name` in the spread window (0 without spread): from the hashes of every tracked name. */
  spreadOffset(name: string): number {
    const spreadMs = this.options.spreadMs?.() ?? 0;
    if (!this.offsets || this.offsets.spreadMs !== spreadMs) this.offsets = { spreadMs, byName: spreadOffsets(this.entries.keys(), spreadMs) };
    return this.offsets.byName.get(name) ?? 0;
  }

  /** Asks the policy for the next run of `name` and arms (or clears) its timer. */
  arm(name: string): void {
    const e = this.entries.get(name);
    if (!e) return;
    const now = this.clock.now();
    const due = e.policy.next(e.last, now);
    const spreadMs = this.options.spreadMs?.() ?? 0;
    const gated = due && (spreadMs > 0 || e.policy.blackout);
    const next = gated ? startTime(due, now, { spreadMs, offsetMs: this.spreadOffset(name), ...(e.policy.blackout ? { blackout: e.policy.blackout } : {}) }) : due;
    if (next) {
      if (this.scheduler.next(name)?.getTime() !== next.getTime()) {
        this.logger.verbose(`schedule ${name}: next run ${next.getTime() <= now.getTime() ? 'now' : `at ${next.toISOString()}`} (${e.policy.description})`);
      }
      this.scheduler.at(name, next);
    } else if (this.scheduler.next(name)) {
      this.logger.verbose(`schedule ${name}: no run pending (${e.policy.description})`);
      this.scheduler.cancel(name);
    }
  }

  /** A scheduled run of `name` fired: it counts as started; recurring policies arm their next match. */
  due(name: string): void {
    this.started(name);
  }

  /** A run of `name` was started (by its schedule or by hand). */
  started(name: string): void {
    const e = this.entries.get(name);
    if (!e) return;
    e.last = { ...e.last, started: this.clock.now() };
    this.arm(name);
  }

  /** A run of `name` ended (its final status) while the job is ready: the next one is armed. */
  ended(name: string): void {
    const e = this.entries.get(name);
    if (!e) return;
    e.last = { ...e.last, ended: this.clock.now() };
    this.arm(name);
  }

  /** The job was stopped or disabled: no run until it is started again. */
  hold(name: string): void {
    if (this.scheduler.next(name)) this.logger.verbose(`schedule ${name}: held`);
    this.scheduler.cancel(name);
  }

  /** When `name` runs next, if a run is pending. */
  next(name: string): Date | undefined {
    return this.scheduler.next(name);
  }

  /** The last run of `name` as the schedule knows it. */
  lastRun(name: string): LastRun | undefined {
    const e = this.entries.get(name);
    return e ? { ...e.last } : undefined;
  }
}
