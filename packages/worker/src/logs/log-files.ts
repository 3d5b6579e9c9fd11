/**
 * Which file a log request means, and the rule that no file outside the
 * job's log directory is ever read. A mirror's logs are the log rotation
 * hook's `<name>_YYYY-MM-DD_HH_MM.log[.fail]` in its `log_dir`; `run` is a
 * run id (the run index), `latest` or `latest-failed`.
 */
import { realpath, readdir, stat } from 'node:fs/promises';
import { basename, isAbsolute, join, relative } from 'node:path';
import type { MirrorJob } from '../mirror-job.js';
import type { RunIndex } from './run-index.js';

/** A request problem with its HTTP status and wire code. */
export class LogRequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/** A log file that may be served. */
export interface ResolvedLog {
  /** Absolute path, inside the job's log directory. */
  file: string;
  /** The run it belongs to, when known. */
  runId?: string;
  /** True when it is the log of the try running now (it still grows). */
  live: boolean;
}

const STAMPED_LOG = /^_\d{4}-\d{2}-\d{2}_\d{2}_\d{2}\.log(\.fail)?$/;
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

/** True for a log file of mirror `name` (the rotation hook's exact names). */
export function isMirrorLogName(file: string, name: string): boolean {
  return file.startsWith(name) && STAMPED_LOG.test(file.slice(name.length));
}

/** Checks a `run` value: a run id, `latest` or `latest-failed`; anything that could be a path is a 400. */
export function checkRunParam(run: string): void {
  if (!RUN_ID.test(run) || run.includes('..')) {
    throw new LogRequestError(400, `run: ${JSON.stringify(run.slice(0, 80))} is not a run id, latest or latest-failed`, 'bad_run');
  }
}

/** Checks a mirror name from a path: no separators, no `..`. */
export function checkMirrorParam(mirror: string): void {
  if (mirror === '' || mirror.includes('/') || mirror.includes('\\') || mirror === '.' || mirror.includes('..') || mirror.includes('\0')) {
    throw new LogRequestError(400, `mirror: ${JSON.stringify(mirror.slice(0, 80))} is not a mirror name`, 'bad_mirror');
  }
}

/** `file`'s real path when it is inside `dir` (both resolved through symlinks); a 400 when it escapes, a 404 when it is missing. */
export async function insideDir(dir: string, file: string): Promise<string> {
  let realDir: string;
  let real: string;
  try {
    realDir = await realpath(dir);
    real = await realpath(file);
  } catch {
    throw new LogRequestError(404, `no log ${basename(file)}`, 'no_log');
  }
  const rel = relative(realDir, real);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
    throw new LogRequestError(400, 'the log is outside the job\'s log directory', 'bad_path');
  }
  return real;
}

/** The mirror's kept logs, newest first (by modification time). */
export async function mirrorLogs(logDir: string, name: string): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(logDir);
  } catch {
    return [];
  }
  const dated = await Promise.all(
    entries
      .filter((f) => isMirrorLogName(f, name))
      .map(async (f) => {
        try {
          return { f, mtime: (await stat(join(logDir, f))).mtimeMs };
        } catch {
          return undefined;
        }
      }),
  );
  return dated
    .filter((d): d is { f: string; mtime: number } => d !== undefined)
    .sort((a, b) => b.mtime - a.mtime || (a.f < b.f ? 1 : -1))
    .map((d) => join(logDir, d.f));
}

/** The current try's log, when a try is running (the worker named it inside the log directory; checked anyway). */
export function liveLog(job: MirrorJob): ResolvedLog | undefined {
  const file = job.currentLogFile;
  if (file === undefined || !job.running) return undefined;
  const rel = relative(job.mirror.logDir, file);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return undefined;
  const runId = job.currentRunId;
  return { file, live: true, ...(runId !== undefined ? { runId } : {}) };
}

/** Finds the log a `run` value names for `job` (default `latest`). */
export async function resolveLog(job: MirrorJob, run: string | undefined, index: RunIndex): Promise<ResolvedLog> {
  const wanted = run ?? 'latest';
  checkRunParam(wanted);
  const { logDir, name } = job.mirror;
  const current = job.currentLogFile;
  const currentRun = job.currentRunId;
  let file: string | undefined;
  let runId: string | undefined;
  if (wanted === 'latest') {
    if (current !== undefined) {
      file = current;
      runId = currentRun;
    } else {
      file = (await mirrorLogs(logDir, name))[0];
    }
  } else if (wanted === 'latest-failed') {
    file = (await mirrorLogs(logDir, name)).find((f) => f.endsWith('.fail'));
  } else if (wanted === currentRun && current !== undefined) {
    file = current;
    runId = currentRun;
  } else {
    const known = index.file(name, wanted);
    if (known === undefined) throw new LogRequestError(404, `no run ${wanted} of ${name} is known here`, 'unknown_run');
    file = join(logDir, known);
    runId = wanted;
  }
  if (file === undefined) throw new LogRequestError(404, `${name} has no ${wanted === 'latest-failed' ? 'failed ' : ''}log`, 'no_log');
  const real = await insideDir(logDir, file);
  const live = current !== undefined && real === (await realpath(current).catch(() => current));
  runId ??= live ? currentRun : index.runOf(name, basename(real));
  return { file: real, live, ...(runId !== undefined ? { runId } : {}) };
}
