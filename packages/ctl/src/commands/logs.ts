/**
 * `tunasynctl logs MIRROR [-w W] [-f] [--tail N] [--run ID | --failed]`: a
 * past or the current log of a mirror, through the manager's log routes;
 * `-f` follows the current run until it ends, and the exit status is its
 * result (0 success, 1 otherwise, as `gh run watch --exit-status`). Ctrl-C
 * stops following; the job goes on. And `start|restart --wait`: send the
 * command, follow the run it started (its log from the first byte; no lines
 * with `--quiet`), exit with its result.
 */
import { TunasyncError } from '@tunasync/core';
import type { ManagerClient } from '../client.js';
import { UsageError } from '../errors.js';
import type { CtlIO } from '../io.js';
import { followLog, readLog, type LogConnection, type LogQuery, type RunEnd } from '../log-client.js';
import { escapeTerminalText } from '../terminal-text.js';
import { jobCommand, type JobCommandOptions } from './jobs.js';

/** Options of the logs command. */
export interface LogsOptions {
  mirror: string;
  /** `-w`: the worker, when the mirror runs on several. */
  worker?: string;
  /** `-f`: follow the current run until it ends. */
  follow?: boolean;
  /** `--tail N`: only the last N lines (with -f: the lines shown first; default 10). */
  tail?: number;
  /** `--run ID`: that run's log. */
  run?: string;
  /** `--failed`: the last failed run's log. */
  failed?: boolean;
  /** Ctrl-C. */
  signal?: AbortSignal;
}

/** A followed run that did not succeed (exit status 1). */
export class RunNotSuccessfulError extends TunasyncError {
  constructor(readonly end: RunEnd) {
    super('UPSTREAM_FAILED', 502, `run ${end.run_id ?? '(unknown)'} ended: ${end.result}`);
  }
}

/** Raised when Ctrl-C stopped following (the job was not touched). */
export class FollowStoppedError extends TunasyncError {
  constructor() {
    super('UPSTREAM_FAILED', 499, 'stopped following; the job was not touched');
  }
}

/** A log line as it may be printed: raw when piped, control characters escaped (tabs kept) on a terminal. */
function shown(io: CtlIO, line: string): string {
  return io.interactive ? line.split('\t').map(escapeTerminalText).join('\t') : line;
}

/** Reads `--tail TEXT`. */
export function parseTail(text: string): number {
  const t = text.trim();
  if (!/^\d{1,6}$/.test(t)) throw new UsageError(`--tail must be a whole number of lines, not ${JSON.stringify(text)}`);
  return Number(t);
}

function finish(end: RunEnd | undefined): void {
  if (end === undefined) throw new FollowStoppedError();
  if (end.result !== 'success') throw new RunNotSuccessfulError(end);
}

/** Runs `logs`. */
export async function logsCommand(conn: LogConnection, opts: LogsOptions, io: CtlIO): Promise<void> {
  if (!opts.mirror) throw new UsageError('logs needs the MIRROR');
  if (opts.run !== undefined && opts.failed) throw new UsageError('use --run or --failed, not both');
  if (opts.follow && (opts.run !== undefined || opts.failed)) throw new UsageError('-f follows the current run: it does not go with --run or --failed');
  if (opts.run === '') throw new UsageError('--run needs a run id');
  if (opts.worker === '') throw new UsageError('-w/--worker must not be empty');
  const q: LogQuery = { ...(opts.worker !== undefined ? { worker: opts.worker } : {}), ...(opts.tail !== undefined ? { tail: opts.tail } : {}) };
  if (!opts.follow) {
    const run = opts.failed ? 'latest-failed' : opts.run;
    const log = await readLog(conn, opts.mirror, { ...q, ...(run !== undefined ? { run } : {}) });
    if (log.text === '') return;
    io.out(shown(io, log.text.endsWith('\n') ? log.text : `${log.text}\n`));
    return;
  }
  const end = await followLog(conn, opts.mirror, q, { onLine: (l) => io.out(`${shown(io, l)}\n`), ...(opts.signal ? { signal: opts.signal } : {}) });
  finish(end);
}

/** Options of `start|restart --wait`. */
export interface WaitOptions {
  /** `--quiet`: do not print the log lines. */
  quiet?: boolean;
  signal?: AbortSignal;
}

/** Sends `start`/`restart`, follows the run it started from its first byte, and fails unless it succeeded. */
export async function commandAndWait(
  client: ManagerClient,
  conn: LogConnection,
  verb: 'start' | 'restart',
  job: JobCommandOptions,
  wait: WaitOptions,
  io: CtlIO,
): Promise<void> {
  await jobCommand(client, verb, job, io);
  const end = await followLog(
    conn,
    job.mirror,
    { worker: job.worker, from: 'run' },
    { onLine: (l) => (wait.quiet ? undefined : io.out(`${shown(io, l)}\n`)), ...(wait.signal ? { signal: wait.signal } : {}) },
  );
  finish(end);
  if (!wait.quiet) io.out(`run ${end?.run_id ?? ''} ended: ${end?.result ?? ''}\n`);
}
