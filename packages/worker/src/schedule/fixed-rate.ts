/**
 * `interval_mode = "fixed-rate"`: runs at `fixed_rate_anchor` + k × interval
 * in the job's zone, whatever each run's length. When the interval divides a
 * day the slots are wall-clock times (an anchor of 00:30 with 360 minutes is
 * 00:30, 06:30, 12:30 and 18:30 local time every day, across DST changes);
 * otherwise they are every `interval` minutes from the anchor on 1 January
 * 2000 in the zone. A slot that passes while the previous run is still going
 * is skipped, not queued.
 */
import { inProgress, type SchedulePolicy } from './policy-types.js';
import { zonedParts, zonedToUtc } from './zone.js';

const MIN = 60_000;

/** The slots of one job. */
export class FixedRateSlots {
  private readonly reference: number;

  constructor(
    readonly minutes: number,
    readonly anchorMinutes: number,
    readonly tz: string,
  ) {
    this.reference = zonedToUtc(2000, 1, 1, Math.floor(anchorMinutes / 60), anchorMinutes % 60, tz).getTime();
  }

  private get wallClock(): boolean {
    return 1440 % this.minutes === 0;
  }

  /** The first slot at or after `t` (ms). */
  atOrAfter(t: number): number {
    const step = this.minutes * MIN;
    if (!this.wallClock) return this.reference + Math.ceil((t - this.reference) / step) * step;
    // Wall-clock slots: walk the zone's wall-clock grid from two hours before t's wall time.
    const p = zonedParts(new Date(t), this.tz);
    const wallMin = Math.floor(Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute) / MIN) - 180;
    let c = Math.ceil((wallMin - this.anchorMinutes) / this.minutes) * this.minutes + this.anchorMinutes;
    for (;;) {
      const w = new Date(c * MIN);
      const at = zonedToUtc(w.getUTCFullYear(), w.getUTCMonth() + 1, w.getUTCDate(), w.getUTCHours(), w.getUTCMinutes(), this.tz).getTime();
      if (at >= t) return at;
      c += this.minutes;
    }
  }
}

/** `HH:MM` of minutes into a day. */
export function hhmm(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/**
 * The fixed-rate policy: nothing while a run is in progress; after a run,
 * the first slot after its start that has not passed; at start-up, at once
 * when a slot passed since the last run ended (once, however many), else the
 * next slot; at once when the job never ran.
 */
export function fixedRatePolicy(minutes: number, anchorMinutes: number, tz: string): SchedulePolicy {
  const slots = new FixedRateSlots(minutes, anchorMinutes, tz);
  return {
    description: `every ${minutes} min at fixed times from ${hhmm(anchorMinutes)} ${tz} (a slot passing while a run is still going is skipped)`,
    tz,
    next(last, now) {
      if (inProgress(last)) return undefined;
      if (last.started) return new Date(slots.atOrAfter(Math.max(now.getTime(), last.started.getTime() + 1)));
      if (last.ended) {
        const s = slots.atOrAfter(last.ended.getTime() + 1);
        return s <= now.getTime() ? now : new Date(s);
      }
      return now;
    },
  };
}
