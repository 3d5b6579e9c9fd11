/**
 * Between "due" and "started": a run a policy makes due is moved to its
 * mirror's place in the spread window, and out of blackout windows (to the
 * window's end, then to its spread place again). Runs started by hand do
 * not pass here.
 */
import type { Blackouts } from './blackout.js';
import { alignToSpread } from './spread.js';

/** What delays a due run of one job. */
export interface StartGate {
  /** `[global] spread` in ms (0: none). */
  spreadMs: number;
  /** This job's place in the spread window. */
  offsetMs: number;
  /** The job's blackout windows, if any. */
  blackout?: Blackouts;
}

/** When a run due at `due` starts, seen at `now` (never before now). */
export function startTime(due: Date, now: Date, gate: StartGate): Date {
  let t = Math.max(due.getTime(), now.getTime());
  for (let i = 0; i < 64; i++) {
    t = alignToSpread(t, gate.spreadMs, gate.offsetMs);
    const end = gate.blackout?.endOf(new Date(t));
    if (!end) break;
    t = end.getTime();
  }
  return new Date(t);
}
