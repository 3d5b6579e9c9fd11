/**
 * Exact timers for job runs (node-schedule; no polling tick): one pending
 * run per job, either at a date (`interval` minutes after the last run ended)
 * or on a cron expression (the per-mirror `cron` extension). Every change is
 * passed to `onChange` so it can be reported to the managers.
 */
import schedule from 'node-schedule';
import type { Clock, MirrorSchedule } from '@tunasync/core';

/** Options of Scheduler. */
export interface SchedulerOptions {
  /** Called when a job is due. */
  onDue: (name: string) => void;
  /** Called with the new next-run times. */
  onChange: (schedules: MirrorSchedule[]) => void;
  clock: Clock;
}

/** True when node-schedule accepts `expr` as a cron expression. */
export function isValidCron(expr: string): boolean {
  const job = schedule.scheduleJob(expr, () => {});
  if (!job) return false;
  job.cancel();
  return true;
}

/** One pending run per job. */
export class Scheduler {
  private readonly timers = new Map<string, schedule.Job>();
  private readonly immediate = new Map<string, NodeJS.Immediate>();

  constructor(private readonly opts: SchedulerOptions) {}

  /** Runs `name` at `when` (at once when it is past), replacing its pending run. */
  at(name: string, when: Date): void {
    this.cancel(name);
    const now = this.opts.clock.now();
    if (when.getTime() <= now.getTime()) {
      this.immediate.set(name, setImmediate(() => {
        this.immediate.delete(name);
        this.opts.onDue(name);
      }));
      this.opts.onChange([{ name, nextSchedule: now }]);
      return;
    }
    const job = schedule.scheduleJob(when, () => {
      this.timers.delete(name);
      this.opts.onDue(name);
    });
    if (job) this.timers.set(name, job);
    this.opts.onChange([{ name, nextSchedule: when }]);
  }

  /** Runs `name` on every match of the cron expression `expr`, replacing its pending run. */
  cron(name: string, expr: string): void {
    this.cancel(name);
    const job = schedule.scheduleJob(expr, () => {
      this.opts.onDue(name);
      const next = job?.nextInvocation();
      if (next) this.opts.onChange([{ name, nextSchedule: new Date(next.getTime()) }]);
    });
    if (!job) throw new Error(`invalid cron expression ${JSON.stringify(expr)}`);
    this.timers.set(name, job);
    const next = job.nextInvocation();
    if (next) this.opts.onChange([{ name, nextSchedule: new Date(next.getTime()) }]);
  }

  /** When `name` runs next, if it is scheduled. */
  next(name: string): Date | undefined {
    if (this.immediate.has(name)) return this.opts.clock.now();
    const n = this.timers.get(name)?.nextInvocation();
    return n ? new Date(n.getTime()) : undefined;
  }

  /** Drops the pending run of `name`. */
  cancel(name: string): void {
    this.timers.get(name)?.cancel();
    this.timers.delete(name);
    const im = this.immediate.get(name);
    if (im) clearImmediate(im);
    this.immediate.delete(name);
  }

  /** Drops every pending run. */
  close(): void {
    for (const name of [...this.timers.keys(), ...this.immediate.keys()]) this.cancel(name);
  }
}
