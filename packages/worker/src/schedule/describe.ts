/**
 * A job's schedule in words and its next run times, for `--dry-run`: the
 * same policy and gate (spread, blackout windows) the worker uses, run
 * forward from now as if each run took no time.
 */
import type { MirrorConfig } from '@tunasync/core';
import { startTime, type StartGate } from './gate.js';
import { schedulePolicyFor } from './policy.js';
import type { LastRun } from './policy-types.js';
import { formatHHMM, hostZone, zonedParts } from './zone.js';

/** The first `count` start times of a job with `gate`, from `now` (a job that never ran). */
export function nextStarts(mirror: MirrorConfig, gate: Omit<StartGate, 'blackout'>, now: Date, count = 3): Date[] {
  const policy = schedulePolicyFor(mirror);
  const full: StartGate = { ...gate, ...(policy.blackout ? { blackout: policy.blackout } : {}) };
  const out: Date[] = [];
  let last: LastRun = {};
  let t = now;
  for (let i = 0; i < count; i++) {
    const due = policy.next(last, t);
    if (!due) break;
    const start = startTime(due, t, full);
    out.push(start);
    last = { started: start, ended: start };
    t = start;
  }
  return out;
}

/** The schedule in words: policy, blackout windows, priority, spread place. */
export function scheduleWords(mirror: MirrorConfig, gate: Omit<StartGate, 'blackout'>): string {
  const words = [schedulePolicyFor(mirror).description, `priority ${mirror.priority ?? 50}`];
  if (gate.spreadMs > 0) words.push(`starts ${Math.round(gate.offsetMs / 1000)} s into each ${Math.round(gate.spreadMs / 1000)} s spread window`);
  return words.join('; ');
}

/** `HH:MM` times in the job's zone, each marked `+Nd` when on a later day than `now` there. */
export function formatStarts(starts: Date[], now: Date, tz: string): string {
  const day = (d: Date): number => {
    const p = zonedParts(d, tz);
    return Date.UTC(p.year, p.month - 1, p.day) / 86_400_000;
  };
  const today = day(now);
  return starts.map((s) => `${formatHHMM(s, tz)}${day(s) > today ? ` +${day(s) - today}d` : ''}`).join(', ');
}

/** The job's zone (its `timezone`, else the host's). */
export function zoneOf(mirror: Pick<MirrorConfig, 'timezone'>): string {
  return mirror.timezone || hostZone();
}
