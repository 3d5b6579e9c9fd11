/**
 * `tunasync-worker --dry-run`: load and validate worker.conf with the same
 * check start uses (checkWorkerConfig) and describe every job: its line as
 * before (what it runs), then an indented line with its schedule in words
 * and its next three start times (`HH:MM` in the job's own zone, named),
 * starting nothing and creating nothing.
 */
import { ConfigError, formatConfigIssue, loadWorkerConfig, type MirrorConfig } from '@tunasync/core';
import { workerConfigIssues, type WorkerCheckOptions } from './config-checks.js';
import { formatStarts, nextStarts, scheduleWords, zoneOf } from './schedule/describe.js';
import { spreadMsOf } from './schedule/schedule-config.js';
import { spreadOffsets } from './schedule/spread.js';

/** Where a job sits in the spread window. */
export interface JobSpread {
  spreadMs: number;
  offsetMs: number;
}

/** The job's line as it has always been (name, provider, upstream, `cron "…"` or `every N min`, directory), tab-separated for scripts. */
export function briefJob(m: MirrorConfig): string {
  const schedule = m.cron ? `cron "${m.cron}"` : `every ${m.interval} min`;
  return [m.name, m.provider, m.upstream || '-', schedule, m.mirrorDir].join('\t');
}

/**
 * Two lines per job: its brief line, then (indented) its schedule in words
 * and its next three start times from `now`, as if it never ran, as `HH:MM`
 * in its own zone, named.
 */
export function describeJob(m: MirrorConfig, spread: JobSpread = { spreadMs: 0, offsetMs: 0 }, now: Date = new Date()): string {
  const tz = zoneOf(m);
  const starts = nextStarts(m, spread, now);
  const next = starts.length > 0 ? `next runs (${tz}): ${formatStarts(starts, now, tz)}` : `no run would start (${tz})`;
  return `${briefJob(m)}\n  ${scheduleWords(m, spread)}; ${next}`;
}

/** Output of a dry run. */
export interface DryRunResult {
  /** 0 when the config is valid, 1 otherwise. */
  exitCode: number;
  /** Lines for stdout. */
  lines: string[];
  /** Lines for stderr (warnings, errors). */
  errors: string[];
}

/** Options of dryRun: where the checks look, and the time the next runs are counted from (default: now). */
export type DryRunOptions = WorkerCheckOptions & { now?: Date };

/** Validates `file` as start would and describes its jobs. */
export async function dryRun(file: string, options: DryRunOptions = {}): Promise<DryRunResult> {
  try {
    const { config, warnings } = loadWorkerConfig(file);
    const { now = new Date(), ...checkOptions } = options;
    const problems = (await workerConfigIssues(config, checkOptions)).map(formatConfigIssue);
    const errors = [...warnings.map((w) => `warning: ${w}`), ...problems];
    const spreadMs = problems.length > 0 ? 0 : spreadMsOf(config);
    const offsets = spreadOffsets(config.mirrors.map((m) => m.name), spreadMs);
    // Times only for a valid config: a bad zone or window has nothing to count from.
    const lines = config.mirrors.map((m) => (problems.length > 0 ? briefJob(m) : describeJob(m, { spreadMs, offsetMs: offsets.get(m.name) ?? 0 }, now)));
    lines.push(`${config.mirrors.length} jobs for worker ${config.global.name}, reporting to ${config.manager.apiBaseList.join(', ')}`);
    return { exitCode: problems.length > 0 ? 1 : 0, lines, errors };
  } catch (err) {
    if (err instanceof ConfigError) return { exitCode: 1, lines: [], errors: err.message.split('\n') };
    throw err;
  }
}
