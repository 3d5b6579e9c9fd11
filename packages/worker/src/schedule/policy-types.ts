/**
 * The SchedulePolicy contract, apart from the policies so each policy file
 * can use it without a cycle.
 */
import type { Blackouts } from './blackout.js';

/** What a policy knows of the job's runs. Either may be missing (never ran, or not known). */
export interface LastRun {
  /** When the last run started (or was due and fired). */
  started?: Date;
  /** When the last run ended (its final status), or the manager's `last_update` at start-up. */
  ended?: Date;
}

/** When a job runs next. */
export interface SchedulePolicy {
  /** A short description for logs and `--dry-run` (`every 60 min after the last run`, `cron "0 * * * *" UTC`). */
  readonly description: string;
  /** The job's time zone, when the policy reads wall-clock times. */
  readonly tz?: string;
  /** Windows in which no scheduled run starts (applied between "due" and "started"). */
  readonly blackout?: Blackouts;
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
