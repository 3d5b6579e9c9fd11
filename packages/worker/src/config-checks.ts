/**
 * Checks of worker.conf that need the worker's own knowledge (provider
 * modules, node-schedule's cron syntax), run at start, on reload and by
 * --dry-run.
 */
import type { ConfigIssue, MirrorConfig } from '@tunasync/core';
import { checkProviderReference } from './providers/registry.js';
import { isValidCron } from './scheduler.js';

/** Problems the worker finds beyond core's config checks: missing provider modules, bad cron expressions. */
export function workerConfigProblems(mirrors: MirrorConfig[]): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const m of mirrors) {
    const p = checkProviderReference(m);
    if (p) out.push({ file: m.source.file, path: `${m.source.path}.provider`, message: p });
    if (m.cron && !isValidCron(m.cron)) {
      out.push({ file: m.source.file, path: `${m.source.path}.cron`, message: `${JSON.stringify(m.cron)} is not a valid cron expression` });
    }
  }
  return out;
}

