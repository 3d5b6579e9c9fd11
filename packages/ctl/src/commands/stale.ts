/**
 * `tunasynctl stale [-o json|lines]`: the mirrors stale now, from the
 * manager's `GET /stale` (computed with the manager's clock: a mirror whose
 * last success is older than its `stale_after`, or than 2 × its interval +
 * 6 h). JSON (the manager's entries) when piped or with `-o json`; one plain
 * line per mirror at a terminal. Exits 1 when any mirror is stale, so cron
 * jobs and monitoring scripts can test it.
 */
import type { ManagerClient, StaleMirror } from '../client.js';
import type { CtlIO } from '../io.js';
import { escapeTerminalText } from '../terminal-text.js';

/** Options of the stale command. */
export interface StaleOptions {
  /** `-o/--output`; unset: lines at a terminal, JSON otherwise. */
  output?: 'json' | 'lines';
}

/** Seconds as a short age: `36h`, `2d`, `90m`, `45s`. */
export function shortAge(seconds: number): string {
  for (const [unit, n] of [['d', 86_400], ['h', 3600], ['m', 60]] as const) {
    if (seconds >= n && seconds % n === 0) return `${seconds / n}${unit}`;
  }
  return `${Math.round(seconds)}s`;
}

/** One plain line for a stale mirror. */
export function staleLine(s: StaleMirror): string {
  const since = s.last_success === null ? 'never succeeded' : `last success ${s.last_success}`;
  return `${escapeTerminalText(s.mirror)} on ${escapeTerminalText(s.worker)}: ${since} (stale after ${shortAge(s.stale_after_s)})`;
}

/** Runs `stale`; returns how many mirrors are stale (the caller exits 1 when any). */
export async function staleCommand(client: ManagerClient, opts: StaleOptions, io: CtlIO): Promise<number> {
  const stale = await client.stale();
  const output = opts.output ?? (io.interactive ? 'lines' : 'json');
  if (output === 'json') io.out(`${JSON.stringify(stale, null, 2)}\n`);
  else if (stale.length === 0) io.out('no stale mirrors\n');
  else for (const s of stale) io.out(`${staleLine(s)}\n`);
  return stale.length;
}
