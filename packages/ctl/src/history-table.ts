/**
 * `history --output table`: a mirror's runs, newest first, one line each:
 * short run id, start (absolute and relative), duration, result, exit
 * code, bytes and files transferred, trigger, worker, and the error.
 * Every value from the manager is shown with control characters escaped.
 */
import { formatSize, type RunRecord, type RunResult } from '@tunasync/core';
import { formatGoTime, zoneFor } from './go-time.js';
import { ANSI, paint, relativeTime, renderTable, type TableOptions } from './table.js';
import { escapeTerminalText } from './terminal-text.js';

/** The `history --output table` columns. */
export const RUN_COLUMNS = ['RUN', 'STARTED', 'DURATION', 'RESULT', 'EXIT', 'TRANSFERRED', 'FILES', 'TRIGGER', 'WORKER', 'ERROR'];

/** Shortest run-id prefix shown (a UUID's first group). */
const SHORT_ID = 8;
/** Longest error text shown in the table (the JSON has all of it). */
const ERROR_WIDTH = 60;

const RESULT_COLOURS: Record<RunResult | 'running', string> = {
  success: ANSI.green,
  failed: ANSI.red,
  aborted: ANSI.yellow,
  skipped: ANSI.dim,
  running: ANSI.cyan,
};

/** A duration in seconds as `0s`, `42s`, `3m12s`, `1h5m`, `2d3h`; `-` when unknown. */
export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '-';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d${Math.floor((s % 86_400) / 3600)}h`;
}

/** Bytes as `0B`, `512B`, `1.5K`, `23.4G`; `-` when unknown. */
export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined || !Number.isFinite(bytes) || bytes < 0) return '-';
  return bytes < 1024 ? `${Math.round(bytes)}B` : formatSize(bytes);
}

/**
 * Run ids cut to the shortest prefix (at least 8 characters) that still
 * tells the given ids apart, as git and docker show ids.
 */
export function shortRunIds(ids: readonly string[]): string[] {
  const chars = ids.map((id) => [...id]);
  const longest = Math.max(0, ...chars.map((c) => c.length));
  for (let n = SHORT_ID; n < longest; n += 1) {
    const cut = chars.map((c) => c.slice(0, n).join(''));
    const whole = new Set(ids);
    if (new Set(cut).size === whole.size) return cut;
  }
  return [...ids];
}

/** One line of text, at most `max` characters (an ellipsis marks the cut). */
function clip(text: string, max: number): string {
  const c = [...text];
  return c.length <= max ? text : `${c.slice(0, max - 1).join('')}…`;
}

/** Renders runs as the `history --output table` table. */
export function runsTable(runs: readonly RunRecord[], opts: TableOptions): string {
  const ids = shortRunIds(runs.map((r) => r.runId)).map(escapeTerminalText);
  const rows = runs.map((r, i) => {
    const result = r.result ?? 'running';
    const tries = r.attempts > 1 ? ` (${r.attempts} tries)` : '';
    return [
      ids[i]!,
      `${formatGoTime(r.startedAt, '2006-01-02 15:04:05', zoneFor(r.startedAt))} (${relativeTime(r.startedAt, opts.now)})`,
      formatDuration(r.durationS),
      paint(`${escapeTerminalText(result)}${tries}`, RESULT_COLOURS[result] ?? '', opts.color),
      r.exitCode === undefined ? '-' : String(r.exitCode),
      formatBytes(r.transferredBytes),
      r.filesTransferred === undefined ? '-' : String(r.filesTransferred),
      escapeTerminalText(r.trigger),
      escapeTerminalText(r.worker),
      clip(escapeTerminalText(r.errorMsg.trim()), ERROR_WIDTH),
    ];
  });
  return renderTable(RUN_COLUMNS, rows, opts);
}
