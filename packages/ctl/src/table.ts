/**
 * `--output table`: aligned columns for people (JSON stays the default for
 * scripts). Times are relative ("5m ago", "in 2h"), statuses are coloured
 * when the output is a terminal.
 */
import { isZeroTime, type MirrorStatus, type SyncStatus, type WorkerStatus } from '@tunasync/core';
import { escapeStringFields } from './terminal-text.js';

/** The ANSI sequences tables use. */
export const ANSI = { reset: '\x1b[0m', red: '\x1b[31m', green: '\x1b[32m', yellow: '\x1b[33m', cyan: '\x1b[36m', dim: '\x1b[2m', bold: '\x1b[1m' };

const STATUS_COLOURS: Record<SyncStatus, string> = {
  success: ANSI.green,
  failed: ANSI.red,
  syncing: ANSI.cyan,
  'pre-syncing': ANSI.cyan,
  paused: ANSI.yellow,
  disabled: ANSI.dim,
  none: '',
};

/** How a table is drawn. */
export interface TableOptions {
  /** The instant relative times are measured from. */
  now: Date;
  /** ANSI colours (only for a terminal). */
  color: boolean;
}

/**
 * A compact relative time: `just now`, `42s ago`, `5m ago`, `3h ago`,
 * `2d ago`, `in 10m`; `never` for Go's zero time (or `-` when `never` is
 * given another word).
 */
export function relativeTime(d: Date, now: Date, never = 'never'): string {
  if (isZeroTime(d)) return never;
  const diff = Math.round((d.getTime() - now.getTime()) / 1000);
  const abs = Math.abs(diff);
  if (abs < 5) return 'just now';
  let text: string;
  if (abs < 60) text = `${abs}s`;
  else if (abs < 3600) text = `${Math.floor(abs / 60)}m`;
  else if (abs < 86_400) {
    const h = Math.floor(abs / 3600);
    const m = Math.floor((abs % 3600) / 60);
    text = h < 10 && m > 0 ? `${h}h${m}m` : `${h}h`;
  } else if (abs < 86_400 * 60) text = `${Math.floor(abs / 86_400)}d`;
  else if (abs < 86_400 * 730) text = `${Math.floor(abs / (86_400 * 30))}mo`;
  else text = `${Math.floor(abs / (86_400 * 365))}y`;
  return diff < 0 ? `${text} ago` : `in ${text}`;
}

const ESC = /\x1b\[[0-9;]*m/g;

/** Visible width of a cell (colour codes take no room). */
function width(s: string): number {
  return [...s.replace(ESC, '')].length;
}

/**
 * Lays out rows under a header, columns separated by two spaces; the last
 * column is not padded, so lines carry no trailing blanks.
 */
export function renderTable(header: string[], rows: string[][], opts: Pick<TableOptions, 'color'>): string {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => width(r[c] ?? ''))));
  const line = (r: string[]): string =>
    r
      .map((cell, c) => (c === r.length - 1 ? cell : cell + ' '.repeat(widths[c]! - width(cell))))
      .join('  ')
      .replace(/\s+$/, '');
  const head = line(header);
  return [opts.color ? `${ANSI.bold}${head}${ANSI.reset}` : head, ...rows.map(line)].join('\n') + '\n';
}

/** `text` in `colour` when `on` (a terminal), else as it is. */
export function paint(text: string, colour: string, on: boolean): string {
  return on && colour ? `${colour}${text}${ANSI.reset}` : text;
}

/** The `list --output table` columns of one job. */
export const JOB_COLUMNS = ['NAME', 'WORKER', 'STATUS', 'LAST UPDATE', 'NEXT RUN', 'SIZE', 'UPSTREAM'];

/** Renders jobs as the `list --output table` table (control characters in values shown escaped). */
export function jobsTable(jobs: MirrorStatus[], opts: TableOptions): string {
  const rows = jobs.map(escapeStringFields).map((j) => [
    j.name,
    j.worker || '-',
    paint(j.status, STATUS_COLOURS[j.status], opts.color),
    relativeTime(j.lastUpdate, opts.now),
    j.status === 'disabled' || j.status === 'paused' ? '-' : relativeTime(j.nextSchedule, opts.now, '-'),
    j.size === '' ? 'unknown' : j.size,
    j.upstream,
  ]);
  return renderTable(JOB_COLUMNS, rows, opts);
}

/** The `workers --output table` columns. */
export const WORKER_COLUMNS = ['ID', 'URL', 'LAST ONLINE', 'LAST REGISTER'];

/** Renders workers as the `workers --output table` table (control characters in values shown escaped). */
export function workersTable(workers: WorkerStatus[], opts: TableOptions): string {
  const stale = (d: Date): boolean => opts.now.getTime() - d.getTime() > 10 * 60_000;
  const rows = workers.map(escapeStringFields).map((w) => [
    w.id,
    w.url,
    paint(relativeTime(w.lastOnline, opts.now), stale(w.lastOnline) ? ANSI.yellow : '', opts.color),
    relativeTime(w.lastRegister, opts.now),
  ]);
  return renderTable(WORKER_COLUMNS, rows, opts);
}
