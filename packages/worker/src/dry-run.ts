/**
 * `tunasync-worker --dry-run`: load and validate worker.conf with the same
 * check start uses (checkWorkerConfig) and describe every job, starting
 * nothing and creating nothing.
 */
import { ConfigError, formatConfigIssue, loadWorkerConfig, type MirrorConfig } from '@tunasync/core';
import { workerConfigIssues, type WorkerCheckOptions } from './config-checks.js';

/** One line per job: name, provider, upstream, schedule, directory. */
export function describeJob(m: MirrorConfig): string {
  const schedule = m.cron ? `cron "${m.cron}"` : `every ${m.interval} min`;
  return [m.name, m.provider, m.upstream || '-', schedule, m.mirrorDir].join('\t');
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

/** Validates `file` as start would and describes its jobs. */
export async function dryRun(file: string, options: WorkerCheckOptions = {}): Promise<DryRunResult> {
  try {
    const { config, warnings } = loadWorkerConfig(file);
    const problems = (await workerConfigIssues(config, options)).map(formatConfigIssue);
    const errors = [...warnings.map((w) => `warning: ${w}`), ...problems];
    const lines = config.mirrors.map(describeJob);
    lines.push(`${config.mirrors.length} jobs for worker ${config.global.name}, reporting to ${config.manager.apiBaseList.join(', ')}`);
    return { exitCode: problems.length > 0 ? 1 : 0, lines, errors };
  } catch (err) {
    if (err instanceof ConfigError) return { exitCode: 1, lines: [], errors: err.message.split('\n') };
    throw err;
  }
}
