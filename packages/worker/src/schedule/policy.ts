/**
 * Schedule policies: a job's answer to "when next?", given when its last run
 * started and ended and what time it is now. Pure functions of their inputs
 * (no timers, no wall clock), so they are tested with plain dates. Which
 * policy a mirror gets is decided here and nowhere else; the timer-only
 * Scheduler just fires what a policy decided (after JobSchedules applies
 * spread and blackout windows).
 */
import type { MirrorConfig } from '@tunasync/core';
import { Blackouts, parseBlackouts } from './blackout.js';
import { nextCronMatch } from './cron.js';
import { fixedRatePolicy } from './fixed-rate.js';
import { inProgress, type SchedulePolicy } from './policy-types.js';
import { hostZone, parseHHMM } from './zone.js';

export { inProgress, type LastRun, type SchedulePolicy } from './policy-types.js';

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
 * Every match of a cron expression (the per-mirror `cron` extension) in
 * zone `tz` (default: the host's): the first match after now, whether or
 * not a run is in progress (a match that comes while the job runs finds it
 * running and changes nothing).
 */
export function cronPolicy(expr: string, tz?: string): SchedulePolicy {
  return {
    description: `cron ${JSON.stringify(expr)}${tz ? ` ${tz}` : ''}`,
    ...(tz ? { tz } : {}),
    next: (_last, now) => nextCronMatch(expr, now, tz),
  };
}

/** The scheduling keys schedulePolicyFor reads (all but `cron` and `interval` optional, for old callers). */
export type ScheduleKeys = Pick<MirrorConfig, 'cron' | 'interval'> &
  Partial<Pick<MirrorConfig, 'timezone' | 'intervalMode' | 'fixedRateAnchor' | 'blackout'>>;

/**
 * The policy a mirror's config asks for: `cron` when set (in `timezone`),
 * else `interval` by tunasync's rule or, with `interval_mode = "fixed-rate"`,
 * at fixed times from `fixed_rate_anchor`; with its `blackout` windows.
 * Expects a config the worker's config check accepted.
 */
export function schedulePolicyFor(mirror: ScheduleKeys): SchedulePolicy {
  const tz = mirror.timezone || hostZone();
  let base: SchedulePolicy;
  if (mirror.cron) base = cronPolicy(mirror.cron, tz);
  else if (mirror.intervalMode === 'fixed-rate') base = fixedRatePolicy(mirror.interval, parseHHMM(mirror.fixedRateAnchor || '00:00') ?? 0, tz);
  else base = intervalPolicy(mirror.interval);
  const windows = parseBlackouts(mirror.blackout ?? []);
  if (typeof windows === 'string' || windows.length === 0) return base;
  const blackout = new Blackouts(windows, tz);
  return { ...base, tz, blackout, description: `${base.description}; not starting in ${blackout.describe()} ${tz}`, next: base.next };
}
