/**
 * Schedule policies: a job's answer to "when next?", given when its last run
 * started and ended and what time it is now. Pure functions of their inputs
 * (no timers, no wall clock), so they are tested with plain dates. The
 * interval-or-cron decision lives here and nowhere else; the timer-only
 * Scheduler just fires what a policy decided.
 */
import type { MirrorConfig } from '@tunasync/core';
import { nextCronMatch } from './cron.js';

/** What a policy knows of the job's runs. Either may be missing (never ran, or not known). */
export interface LastRun {
  /** When the last run started (or was due and fired). */
  started?: Date;
  /** When the last run ended (its final status), or the manager's `last_update` at start-up. */
  ended?: Date;
}

/** When a job runs next. */
export interface SchedulePolicy {
  /** A short description for logs (`every 60 min`, `cron "0 * * * *"`). */
  readonly description: string;
  /**
   * The next run, given the last one and `now`; undefined while none is due
   * (e.g. an interval job whose run is in progress). A time in the past
   * means "at once".
   */
  next(last: LastRun, now: Date): Date | undefined;
}

/** True when the last run started after it last ended: it is still going. */
export function inProgress(last: LastRun): boolean {
  return last.started !== undefined && (last.ended === undefined || last.started.getTime() > last.ended.getTime());
}

/**
 * tunasync's rule: `minutes` after the last run ended; at once when the job
 * never ran; nothing while a run is in progress. An end in the future (a
 * manager's clock ahead of ours) counts as now.
 */
export function intervalPolicy(minutes: number): SchedulePolicy {
  const ms = minutes * 60_000;
  return {
    description: `every ${minutes} min after the last run`,
    next(last, now) {
      if (inProgress(last)) return undefined;
      if (!last.ended) return now;
      const from = Math.min(last.ended.getTime(), now.getTime());
      return new Date(from + ms);
    },
  };
}

/**
 * Every match of a cron expression (the per-mirror `cron` extension): the
 * first match after now, whether or not a run is in progress (a match that
 * comes while the job runs finds it running and changes nothing).
 */
export function cronPolicy(expr: string, tz?: string): SchedulePolicy {
  return {
    description: `cron ${JSON.stringify(expr)}`,
    next: (_last, now) => nextCronMatch(expr, now, tz),
  };
}

/** The policy a mirror's config asks for: `cron` when set, else `interval`. */
export function schedulePolicyFor(mirror: Pick<MirrorConfig, 'cron' | 'interval'>): SchedulePolicy {
  return mirror.cron ? cronPolicy(mirror.cron) : intervalPolicy(mirror.interval);
}
