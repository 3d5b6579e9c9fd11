/**
 * `tunasynctl mirror MIRROR [-o json|table]`: one mirror from the manager's
 * `GET /jobs/:mirror`: its status on each worker, its last run and the
 * stats over the runs the manager keeps. On a terminal a short report;
 * piped or with `-o json`, the manager's answer as it came.
 */
import type { ManagerClient } from '../client.js';
import { UsageError } from '../errors.js';
import { formatDuration, runsTable } from '../history-table.js';
import type { CtlIO } from '../io.js';
import type { MirrorStats, MirrorView } from '../mirror-view.js';
import { formatGoTime, zoneFor } from '../go-time.js';
import { jobsTable, relativeTime, type TableOptions } from '../table.js';
import type { OutputMode } from './list.js';

/** Options of the mirror command. */
export interface MirrorOptions {
  /** The mirror (job name). */
  mirror: string;
  /** `-o/--output`; unset: the report on a terminal, JSON otherwise. */
  output?: OutputMode;
}

/** The stats as one line: `runs 200, failures 3, success 98.5%, median 3m12s, p95 10m0s, last success …`. */
export function statsLine(stats: MirrorStats, now: Date): string {
  const parts = [`runs ${stats.runs}`, `failures ${stats.failures}`];
  if (stats.successRate !== undefined) parts.push(`success ${(Math.round(stats.successRate * 1000) / 10).toString()}%`);
  if (stats.medianDurationS !== undefined) parts.push(`median ${formatDuration(stats.medianDurationS)}`);
  if (stats.p95DurationS !== undefined) parts.push(`p95 ${formatDuration(stats.p95DurationS)}`);
  const last = stats.lastSuccessAt;
  parts.push(`last success ${last ? `${formatGoTime(last, '2006-01-02 15:04:05', zoneFor(last))} (${relativeTime(last, now)})` : 'never'}`);
  return parts.join(', ');
}

/** The report `mirror` prints on a terminal (every value from the manager escaped). */
export function mirrorReport(view: MirrorView, opts: TableOptions): string {
  const parts: string[] = [];
  parts.push(view.statuses.length > 0 ? jobsTable(view.statuses, opts) : 'no worker has this mirror now\n');
  parts.push(view.lastRun ? `\nLast run:\n${runsTable([view.lastRun], opts)}` : '\nLast run: none recorded\n');
  parts.push(`\nStats: ${statsLine(view.stats, opts.now)}\n`);
  return parts.join('');
}

/** Runs `mirror`. */
export async function mirrorCommand(client: ManagerClient, opts: MirrorOptions, io: CtlIO): Promise<void> {
  if (!opts.mirror) throw new UsageError('mirror needs the MIRROR');
  const { view, body } = await client.mirror(opts.mirror);
  const output = opts.output ?? (io.interactive ? 'table' : 'json');
  if (output === 'table') io.out(mirrorReport(view, { now: io.now(), color: io.color }));
  else io.out(`${JSON.stringify(body, null, 2)}\n`);
}
