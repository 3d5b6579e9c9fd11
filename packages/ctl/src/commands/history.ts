/**
 * `tunasynctl history MIRROR [-w WORKER] [-n N] [--failed] [--before RUN_ID]
 * [-f FORMAT] [-o json|table]`: a mirror's runs from the manager's
 * `GET /jobs/:mirror/history`, newest first. A table on a terminal, the
 * manager's JSON rows as they came when piped or with `-o json`, one
 * templated line per run with `-f`. tunasync's manager keeps no history:
 * one line says so and the exit status is 1.
 */
import type { HistoryQuery, ManagerClient } from '../client.js';
import { UsageError } from '../errors.js';
import { compileFormat, runRecordValue } from '../format-template.js';
import { runsTable } from '../history-table.js';
import type { CtlIO } from '../io.js';
import { escapeStringFields, escapeTerminalText } from '../terminal-text.js';
import type { OutputMode } from './list.js';

/** The most rows the manager gives in one answer. */
export const HISTORY_MAX_LIMIT = 1000;

/** Options of the history command. */
export interface HistoryOptions {
  /** The mirror (job name). */
  mirror: string;
  /** `-w/--worker`: only this worker's runs. */
  worker?: string;
  /** `-n/--limit`: at most this many runs (1…1000; the manager's default is 20). */
  limit?: number;
  /** `--failed`: only failed runs. */
  failed?: boolean;
  /** `--before RUN_ID`: runs older than this one (the next page). */
  before?: string;
  /** `-f/--format`: a Go template over RunRecord, one line per run. */
  format?: string;
  /** `-o/--output`; unset: a table when stdout is a terminal, JSON otherwise. */
  output?: OutputMode;
}

const limitProblem = (shown: string): UsageError => new UsageError(`-n/--limit must be a whole number from 1 to ${HISTORY_MAX_LIMIT}, not ${shown}`);

/** Reads `-n TEXT` as the command line gives it; a UsageError quoting the text when it is no count. */
export function parseLimit(text: string): number {
  const t = text.trim();
  if (!/^[0-9]+$/.test(t)) throw limitProblem(JSON.stringify(text));
  return Number(t);
}

/** Checks the options before anything is fetched; returns the query to send. */
function check(opts: HistoryOptions): HistoryQuery {
  if (!opts.mirror) throw new UsageError('history needs the MIRROR');
  if (opts.format !== undefined && opts.output === 'table') throw new UsageError('use --format or --output table, not both');
  if (opts.format === '') throw new UsageError('--format must not be empty');
  const q: HistoryQuery = {};
  if (opts.limit !== undefined) {
    if (!Number.isSafeInteger(opts.limit) || opts.limit < 1 || opts.limit > HISTORY_MAX_LIMIT) {
      throw limitProblem(String(opts.limit));
    }
    q.limit = opts.limit;
  }
  if (opts.worker !== undefined) {
    if (opts.worker === '') throw new UsageError('-w/--worker must not be empty');
    q.worker = opts.worker;
  }
  if (opts.failed) q.result = 'failed';
  if (opts.before !== undefined) {
    if (opts.before === '') throw new UsageError('--before needs a run id');
    q.before = opts.before;
  }
  return q;
}

/** The filters of a query, as words (` on w1, failed, before abc`). */
function describeQuery(q: HistoryQuery): string {
  const parts: string[] = [];
  if (q.worker !== undefined) parts.push(`on ${escapeTerminalText(q.worker)}`);
  if (q.result !== undefined) parts.push(q.result);
  if (q.before !== undefined) parts.push(`before ${escapeTerminalText(q.before)}`);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

/** Runs `history`. */
export async function historyCommand(client: ManagerClient, opts: HistoryOptions, io: CtlIO): Promise<void> {
  const query = check(opts);
  const template = opts.format !== undefined ? compileFormat(opts.format, 'RunRecord') : undefined;
  const { rows, records } = await client.historyRows(opts.mirror, query);
  if (template) {
    for (const r of records) io.out(`${template.render(runRecordValue(escapeStringFields(r)))}\n`);
    return;
  }
  const output = opts.output ?? (io.interactive ? 'table' : 'json');
  if (output === 'table') {
    if (records.length === 0) {
      io.err(`tunasynctl: the manager has no runs of ${escapeTerminalText(opts.mirror)}${describeQuery(query)}\n`);
      return;
    }
    io.out(runsTable(records, { now: io.now(), color: io.color }));
    return;
  }
  io.out(`${JSON.stringify(rows, null, 2)}\n`);
}
