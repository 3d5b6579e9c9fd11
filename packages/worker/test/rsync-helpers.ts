/**
 * Helpers for the rsync provider tests: a MirrorJob built the way the worker
 * builds one (provider from the registry, the standard hooks), a logger that
 * keeps every line at debug level (the testkit's), the text of every run log of a mirror,
 * and the tunasync-style size string read back as bytes.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSilentLogger, systemClock, type Hook, type Logger, type MirrorConfig } from '@tunasync/core';
import { ConcurrencySlots, ExecHook, LogRotationHook, MirrorJob, createProvider } from '@tunasync/worker';

export { captureLogger } from '@tunasync/testkit';

/** A MirrorJob for an rsync mirror: registry provider, log rotation and exec hooks, then `extraHooks`. */
export async function rsyncJob(mirror: MirrorConfig, opts: { logger?: Logger; extraHooks?: Hook[] } = {}): Promise<MirrorJob> {
  return new MirrorJob({
    mirror,
    provider: await createProvider(mirror),
    hooks: [new LogRotationHook(), new ExecHook('success', mirror.execOnSuccess), new ExecHook('failure', mirror.execOnFailure), ...(opts.extraHooks ?? [])],
    slots: new ConcurrencySlots(4),
    logger: opts.logger ?? createSilentLogger(),
    clock: systemClock,
    graceMs: 500,
  });
}

/** Every log file of a mirror's log directory (`latest` excluded), name → text. */
export function runLogs(logDir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(logDir)) if (f !== 'latest') out[f] = readFileSync(join(logDir, f), 'utf8');
  return out;
}

/** The text of the log `latest` points at. */
export function latestLog(logDir: string): string {
  return readFileSync(join(logDir, 'latest'), 'utf8');
}

/** Every `Total file size: X bytes` value of a log, in order. */
export function totalFileSizes(log: string): string[] {
  return [...log.matchAll(/^Total file size: (\S+) bytes$/gm)].map((m) => m[1]!);
}

/** Bytes of a size rsync printed with `-h` (units of 1000: `16.78M`). */
export function rsyncHumanBytes(size: string): number {
  const m = /^([0-9.]+)([KMGTP]?)$/.exec(size.replace(/,/g, ''));
  if (!m) throw new Error(`not an rsync size: ${size}`);
  return Number(m[1]) * 1000 ** ['', 'K', 'M', 'G', 'T', 'P'].indexOf(m[2]!);
}
