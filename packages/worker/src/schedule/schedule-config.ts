/**
 * The scheduling keys of worker.conf (issue 18), checked for the worker's
 * one config check: `timezone`, `interval_mode`, `fixed_rate_anchor`,
 * `blackout`, `priority` (per mirror, defaults in `[global]`),
 * `[global] per_upstream_concurrent`, `[per_upstream_concurrent]` and
 * `[global] spread`. A bad `[global]` default is reported once, at
 * `global.<key>`; a mirror is blamed only for a value of its own.
 */
import type { ConfigIssue, MirrorConfig, WorkerConfig } from '@tunasync/core';
import { coversEverything, parseBlackouts } from './blackout.js';
import { parseDuration } from './spread.js';
import { isValidZone, parseHHMM } from './zone.js';

/** The scheduling values of a mirror or of `[global]`. */
type Keys = Pick<MirrorConfig, 'timezone' | 'intervalMode' | 'fixedRateAnchor' | 'blackout' | 'priority'>;

const INTERVAL_MODES = ['', 'interval', 'fixed-rate'];

/** What is wrong with each key of `k` (key → message). */
function keyProblems(k: Keys): Map<keyof Keys, string> {
  const out = new Map<keyof Keys, string>();
  if (k.timezone !== '' && !isValidZone(k.timezone)) out.set('timezone', `${JSON.stringify(k.timezone)} is not a known IANA time zone (such as "Asia/Shanghai" or "UTC")`);
  if (!INTERVAL_MODES.includes(k.intervalMode)) out.set('intervalMode', `${JSON.stringify(k.intervalMode)} is not "interval" or "fixed-rate"`);
  if (k.fixedRateAnchor !== '' && parseHHMM(k.fixedRateAnchor) === undefined) out.set('fixedRateAnchor', `${JSON.stringify(k.fixedRateAnchor)} is not a time HH:MM (00:00 to 23:59)`);
  const windows = parseBlackouts(k.blackout);
  if (typeof windows === 'string') out.set('blackout', windows);
  else if (coversEverything(windows)) out.set('blackout', 'the windows cover the whole week: no scheduled run could ever start');
  if (!Number.isInteger(k.priority) || k.priority < 0 || k.priority > 100) out.set('priority', `${k.priority} is not an integer from 0 to 100`);
  return out;
}

const KEY_NAMES: Record<keyof Keys, string> = {
  timezone: 'timezone',
  intervalMode: 'interval_mode',
  fixedRateAnchor: 'fixed_rate_anchor',
  blackout: 'blackout',
  priority: 'priority',
};

const same = (a: Keys[keyof Keys], b: Keys[keyof Keys]): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Every problem of the scheduling keys of `config`. */
export function scheduleConfigIssues(config: WorkerConfig): ConfigIssue[] {
  const { file, global } = config;
  const out: ConfigIssue[] = [];
  const globalProblems = keyProblems(global);
  for (const [key, message] of globalProblems) out.push({ file, path: `global.${KEY_NAMES[key]}`, message });
  for (const m of config.mirrors) {
    for (const [key, message] of keyProblems(m)) {
      // A value the mirror inherited from a bad [global] default was reported there.
      if (globalProblems.has(key) && same(m[key], global[key])) continue;
      out.push({ file: m.source.file, path: `${m.source.path}.${KEY_NAMES[key]}`, message });
    }
  }
  if (!Number.isInteger(global.perUpstreamConcurrent) || global.perUpstreamConcurrent < 0) {
    out.push({ file, path: 'global.per_upstream_concurrent', message: `${global.perUpstreamConcurrent} is not a whole number of runs (1 or more; 0 means no limit)` });
  }
  for (const [host, n] of Object.entries(config.perUpstreamConcurrent)) {
    if (!Number.isInteger(n) || n < 1) out.push({ file, path: `per_upstream_concurrent.${host}`, message: `${JSON.stringify(n)} is not a whole number of runs (1 or more)` });
  }
  if (global.spread !== '' && parseDuration(global.spread) === undefined) {
    out.push({ file, path: 'global.spread', message: `${JSON.stringify(global.spread)} is not a duration such as "10m", "90s" or "1h30m"` });
  }
  return out;
}

/** `[global] spread` in milliseconds (0 when unset). */
export function spreadMsOf(config: WorkerConfig): number {
  return config.global.spread ? (parseDuration(config.global.spread) ?? 0) : 0;
}
