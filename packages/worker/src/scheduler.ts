/**
 * The timer-only scheduler: one pending run per job, at a date. It fires
 * timers and reports next-run times, nothing else; when a job runs next is a
 * SchedulePolicy's decision (schedule/policy.ts). Timers come from an
 * injectable TimerApi, so tests drive time without sleeping; delays longer
 * than Node's timer limit (~24.8 days, a yearly cron) are chained.
 */
import { realTimers, type Clock, type MirrorSchedule, type TimerApi } from '@tunasync/core';

export { isValidCron } from './schedule/cron.js';

export { realTimers, type TimerApi } from '@tunasync/core';

/** Longest single timer Node accepts. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Options of Scheduler. */
export interface SchedulerOptions {
  /** Called when a job is due; `when` is the time it was due (the timer may fire later: scheduler lateness). */
  onDue: (name: string, when: Date) => void;
  /** Called with the new next-run times. */
  onChange: (schedules: MirrorSchedule[]) => void;
  clock: Clock;
  /** Timers to use (default: the real ones). */
  timers?: TimerApi;
}

interface Pending {
  when: Date;
  handle: unknown;
}

/** One pending run per job. */
export class Scheduler {
  private readonly pending = new Map<string, Pending>();
  private readonly timers: TimerApi;

  constructor(private readonly opts: SchedulerOptions) {
    this.timers = opts.timers ?? realTimers;
  }

  /**
   * Runs `name` at `when` (at once when it is past), replacing its pending
   * run. Re-arming the same time again changes and reports nothing.
   */
  at(name: string, when: Date): void {
    const now = this.opts.clock.now();
    const existing = this.pending.get(name);
    if (existing && existing.when.getTime() === when.getTime() && when.getTime() > now.getTime()) return;
    this.cancel(name);
    const due = when.getTime() <= now.getTime() ? now : when;
    this.arm(name, due, due.getTime() - now.getTime());
    this.opts.onChange([{ name, nextSchedule: due }]);
  }

  private arm(name: string, when: Date, delay: number): void {
    const step = Math.min(Math.max(delay, 0), MAX_TIMER_MS);
    const handle = this.timers.set(() => {
      if (this.pending.get(name)?.handle !== handle) return;
      const left = when.getTime() - this.opts.clock.now().getTime();
      if (step === MAX_TIMER_MS && left > 0) {
        this.arm(name, when, left);
        return;
      }
      this.pending.delete(name);
      this.opts.onDue(name, when);
    }, step);
    this.pending.set(name, { when, handle });
  }

  /** When `name` runs next, if it is scheduled. */
  next(name: string): Date | undefined {
    return this.pending.get(name)?.when;
  }

  /** Names with a pending run. */
  names(): string[] {
    return [...this.pending.keys()];
  }

  /** Drops the pending run of `name`. */
  cancel(name: string): void {
    const p = this.pending.get(name);
    if (!p) return;
    this.timers.clear(p.handle);
    this.pending.delete(name);
  }

  /** Drops every pending run. */
  close(): void {
    for (const name of [...this.pending.keys()]) this.cancel(name);
  }
}
