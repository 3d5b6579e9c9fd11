/**
 * `tunasynctl watch [-s STATUSES] [MIRROR-GLOB…]`: the site live. At a
 * terminal, a screen (alternate buffer, redrawn on every change and each
 * second) with the status counts on top and the jobs sorted by status then
 * name, changed rows marked for a few seconds; `q` or Ctrl-C leaves and
 * restores the terminal. Not at a terminal, one line per change (for logs
 * and scripts) until interrupted, and the feed's state on stderr when it
 * changes (`tunasynctl: watch: live`). Fed by `GET /events`, or by polling
 * when the manager has none (watch-feed.ts).
 */
import type { MirrorStatus } from '@tunasync/core';
import type { ManagerClient } from '../client.js';
import { UsageError } from '../errors.js';
import { globToRegExp } from '../glob.js';
import type { CtlIO } from '../io.js';
import { runFeed } from '../watch-feed.js';
import { WatchModel, type WatchChange } from '../watch-model.js';
import { SCREEN, changeLine, renderScreen } from '../watch-screen.js';
import { jobsOfAllWorkers, parseStatusFilter } from './list.js';

/** How long a changed row stays marked, in ms. */
export const MARK_MS = 3000;

/** Options of watch. */
export interface WatchOptions {
  /** `-s/--status`: comma-separated statuses to show. */
  status?: string;
  /** Mirror globs to show (all when empty). */
  globs: string[];
  /** Polling interval when the manager has no /events, in ms (default 2000). */
  pollMs?: number;
}

/** The terminal the screen is drawn on (only used when `io.interactive`). */
export interface WatchTerminal {
  columns(): number;
  rows(): number;
  /** Keyboard input (raw mode is set while watching), when stdin is a terminal. */
  input?: NodeJS.ReadStream;
  /** Calls `redraw` when the terminal is resized; returns a function that stops that. */
  onResize(redraw: () => void): () => void;
}

/** The process's own terminal. */
export function processTerminal(): WatchTerminal {
  return {
    columns: () => process.stdout.columns || 80,
    rows: () => process.stdout.rows || 24,
    ...(process.stdin.isTTY ? { input: process.stdin } : {}),
    onResize(redraw) {
      process.stdout.on('resize', redraw);
      return () => void process.stdout.off('resize', redraw);
    },
  };
}

const keyOf = (j: MirrorStatus): string => `${j.name}\u0000${j.worker}`;

/** Runs watch until `until` aborts (or `q`/Ctrl-C at a terminal). */
export async function watchCommand(client: ManagerClient, opts: WatchOptions, io: CtlIO, terminal: WatchTerminal, until: AbortSignal): Promise<void> {
  const statuses = opts.status !== undefined ? parseStatusFilter(opts.status) : undefined;
  for (const g of opts.globs) {
    try {
      globToRegExp(g);
    } catch {
      throw new UsageError(`${JSON.stringify(g)} is not a valid glob`);
    }
  }
  if (opts.pollMs !== undefined && !(opts.pollMs >= 100 && opts.pollMs <= 3_600_000)) throw new UsageError('--interval must be from 0.1 to 3600 seconds');
  const model = new WatchModel({ ...(statuses ? { statuses } : {}), globs: opts.globs });
  const stop = new AbortController();
  const signal = AbortSignal.any([until, stop.signal]);
  const readAll = (): Promise<MirrorStatus[]> => jobsOfAllWorkers(client);
  const screen = io.interactive === true;
  const marks = new Map<string, number>();
  let feed = 'connecting…';
  let notice: string | undefined;
  let started = false;

  const draw = (): void => {
    if (!screen || !started || signal.aborted) return;
    const now = io.now();
    io.out(
      SCREEN.draw(
        renderScreen(model, {
          manager: client.baseUrl,
          feed,
          ...(notice !== undefined ? { notice } : {}),
          now,
          columns: terminal.columns(),
          rows: terminal.rows(),
          color: io.color,
          marked: (j) => (marks.get(keyOf(j)) ?? 0) > now.getTime(),
        }),
      ),
    );
  };
  const changed = (changes: WatchChange[]): void => {
    const now = io.now();
    for (const c of changes) {
      marks.set(keyOf(c.job), now.getTime() + MARK_MS);
      if (!screen) io.out(changeLine(c, now));
    }
    if (changes.length > 0) draw();
  };
  const snapshot = (jobs: MirrorStatus[]): void => {
    const first = !started;
    const changes = model.snapshot(jobs, first);
    started = true;
    if (first) draw();
    changed(changes);
  };

  let restoreKeys = (): void => undefined;
  let stopResize = (): void => undefined;
  let ticker: NodeJS.Timeout | undefined;
  if (screen) {
    io.out(SCREEN.enter);
    const input = terminal.input;
    if (input) {
      const onKey = (data: Buffer | string): void => {
        const text = data.toString();
        if (text.includes('q') || text.includes('Q') || text.includes('\x03')) stop.abort();
      };
      input.setRawMode(true);
      input.on('data', onKey);
      input.resume();
      restoreKeys = () => {
        input.off('data', onKey);
        input.setRawMode(false);
        input.pause();
      };
    }
    stopResize = terminal.onResize(draw);
    ticker = setInterval(draw, 1000);
  }
  try {
    await runFeed(client, { readAll, signal, ...(opts.pollMs !== undefined ? { pollMs: opts.pollMs } : {}) }, {
      snapshot,
      job(job, worker) {
        const r = model.update(job, worker);
        if (r === 'ambiguous') void readAll().then(snapshot, () => undefined);
        else changed(r);
      },
      feed(text) {
        // Not at a terminal, the feed's state goes to stderr when it changes (for logs).
        if (!screen && text !== feed) io.err(`tunasynctl: watch: ${text}\n`);
        feed = text;
        draw();
      },
      maintenance(text) {
        notice = text;
        draw();
      },
    });
  } finally {
    if (ticker) clearInterval(ticker);
    stopResize();
    restoreKeys();
    if (screen) io.out(SCREEN.leave);
  }
}
