/**
 * How `tunasynctl watch` draws: a screen for a terminal (title, status
 * counts, the jobs sorted by status then name, recently changed rows
 * marked), cut to the terminal's width and height (80 columns hold every
 * column), and one line per change when output is not a terminal.
 */
import type { MirrorStatus, SyncStatus } from '@tunasync/core';
import { ANSI, paint, relativeTime } from './table.js';
import { escapeTerminalText } from './terminal-text.js';
import { STATUS_ORDER, type WatchChange, type WatchModel } from './watch-model.js';

/** Colours of the statuses (as the tables). */
const COLOURS: Record<SyncStatus, string> = {
  success: ANSI.green,
  failed: ANSI.red,
  syncing: ANSI.cyan,
  'pre-syncing': ANSI.cyan,
  paused: ANSI.yellow,
  disabled: ANSI.dim,
  none: '',
};

/** What a screen shows besides the jobs. */
export interface ScreenState {
  /** The manager's URL. */
  manager: string;
  /** `live`, `polling every 2s`, `reconnecting…`. */
  feed: string;
  /** A maintenance notice from the manager, when on. */
  notice?: string;
  now: Date;
  columns: number;
  rows: number;
  color: boolean;
  /** Whether a job changed lately (its row is marked). */
  marked: (job: MirrorStatus) => boolean;
}

/** One cell cut to `width` characters (an ellipsis marks the cut) and padded. */
function cell(text: string, width: number, pad = true): string {
  const chars = [...text];
  const cut = chars.length > width ? `${chars.slice(0, Math.max(0, width - 1)).join('')}…` : text;
  return pad ? cut + ' '.repeat(Math.max(0, width - [...cut].length)) : cut;
}

/** A line cut to the width (plain text only). */
function fit(text: string, columns: number): string {
  return cell(text, columns, false);
}

const W = { status: 11, last: 9, next: 9, size: 7 };

/** The lines of the screen: exactly what fits `columns` × `rows`. */
export function renderScreen(model: WatchModel, s: ScreenState): string[] {
  const columns = Math.max(40, s.columns);
  const jobs = model.jobs();
  const counts = model.counts();
  const lines: string[] = [];
  const time = s.now.toTimeString().slice(0, 8);
  lines.push(fit(`tunasynctl watch  ${s.manager}  ${s.feed}  ${time}`, columns));
  const parts = STATUS_ORDER.filter((st) => counts.has(st)).map((st) => paint(`${st} ${counts.get(st)}`, COLOURS[st], s.color));
  lines.push(parts.length ? `${parts.join('  ')}  (${jobs.length} jobs)` : 'no jobs');
  lines.push(s.notice ? paint(fit(`maintenance: ${escapeTerminalText(s.notice)}`, columns), ANSI.yellow, s.color) : '');
  // Widths: a marker, NAME, WORKER, then fixed columns, two spaces apart.
  const fixed = 2 + W.status + 2 + W.last + 2 + W.next + 2 + W.size;
  const longestWorker = Math.max(6, ...jobs.map((j) => [...escapeTerminalText(j.worker)].length));
  const workerW = Math.min(longestWorker, 12);
  const nameW = Math.max(8, columns - 2 - fixed - 2 - workerW);
  const row = (mark: string, name: string, worker: string, status: string, last: string, next: string, size: string): string =>
    `${mark} ${cell(name, nameW)}  ${cell(worker, workerW)}  ${status}  ${cell(last, W.last)}  ${cell(next, W.next)}  ${cell(size, W.size, false)}`.replace(/\s+$/, '');
  const head = row(' ', 'NAME', 'WORKER', cell('STATUS', W.status), 'LAST SYNC', 'NEXT RUN', 'SIZE');
  lines.push(s.color ? `${ANSI.bold}${head}${ANSI.reset}` : head);
  const room = Math.max(1, s.rows - lines.length - 1);
  const shown = jobs.length > room ? jobs.slice(0, room - 1) : jobs;
  for (const j of shown) {
    const marked = s.marked(j);
    const status = paint(cell(j.status, W.status), COLOURS[j.status], s.color);
    const next = j.status === 'disabled' || j.status === 'paused' ? '-' : relativeTime(j.nextSchedule, s.now, '-');
    const text = row(marked ? '*' : ' ', escapeTerminalText(j.name), escapeTerminalText(j.worker) || '-', status, relativeTime(j.lastUpdate, s.now), next, escapeTerminalText(j.size || 'unknown'));
    lines.push(marked && s.color ? `${ANSI.bold}${text}${ANSI.reset}` : text);
  }
  if (shown.length < jobs.length) lines.push(`  … ${jobs.length - shown.length} more (a taller terminal, or -s / a glob, shows them)`);
  lines.push(fit('q quits', columns));
  return lines;
}

/** The line for a change when output is not a terminal: `<time> <mirror> on <worker>: <from> -> <to>`. */
export function changeLine(c: WatchChange, now: Date): string {
  const j = c.job;
  const who = `${escapeTerminalText(j.name)}${j.worker ? ` on ${escapeTerminalText(j.worker)}` : ''}`;
  const what = c.removed ? 'removed' : c.from === undefined ? `new, ${j.status}` : `${c.from} -> ${j.status}`;
  const size = !c.removed && j.status === 'success' && j.size && j.size !== 'unknown' ? ` (${escapeTerminalText(j.size)})` : '';
  return `${now.toISOString().replace(/\.\d{3}Z$/, 'Z')} ${who}: ${what}${size}\n`;
}

/** Terminal control: the alternate screen without a cursor, and back. */
export const SCREEN = {
  enter: '\x1b[?1049h\x1b[?25l',
  leave: '\x1b[?25h\x1b[?1049l',
  /** Draws lines from the top left, clearing what is left of each line and below. */
  draw: (lines: string[]): string => `\x1b[H${lines.map((l) => `${l}\x1b[K`).join('\r\n')}\x1b[J`,
};
