/**
 * `GET /jobs/:mirror` of a tunasync-ts manager (issue 14): a mirror's
 * status on each worker (the statuses of `/jobs`), its `last_run` (a
 * history row) and `stats` over the runs the manager keeps. `last_run` and
 * `stats` are read strictly; the per-worker statuses are read from the
 * answer's list of status objects, whatever its key, as MirrorStatus
 * (`worker`, RFC 3339 times) or WebMirrorStatus (`/jobs`' text times).
 */
import {
  ValidationError,
  emptyMirrorStatus,
  parseMirrorStatus,
  parseRfc3339,
  parseRunRecord,
  parseWebMirrorStatus,
  type MirrorStatus,
  type RunRecord,
} from '@tunasync/core';

/** `stats` of `GET /jobs/:mirror`, over the runs the manager keeps. */
export interface MirrorStats {
  runs: number;
  failures: number;
  /** 0…1; undefined without runs. */
  successRate?: number;
  medianDurationS?: number;
  p95DurationS?: number;
  lastSuccessAt?: Date;
}

/** A mirror as `GET /jobs/:mirror` shows it. */
export interface MirrorView {
  /** The status on each worker (`worker` is empty when the manager does not say). */
  statuses: MirrorStatus[];
  /** The newest run, if any. */
  lastRun?: RunRecord;
  stats: MirrorStats;
}

function num(o: Record<string, unknown>, key: string, required: boolean): number | undefined {
  const v = o[key];
  if (v === null || v === undefined) {
    if (required) throw new ValidationError(`stats.${key}: missing`, `stats.${key}`);
    return undefined;
  }
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ValidationError(`stats.${key}: must be a number`, `stats.${key}`);
  return v;
}

/** Reads `stats`. */
export function parseMirrorStats(json: unknown): MirrorStats {
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new ValidationError('stats: must be an object', 'stats');
  const o = json as Record<string, unknown>;
  const stats: MirrorStats = { runs: num(o, 'runs', true)!, failures: num(o, 'failures', true)! };
  const optional: [Exclude<keyof MirrorStats, 'runs' | 'failures' | 'lastSuccessAt'>, string][] = [
    ['successRate', 'success_rate'],
    ['medianDurationS', 'median_duration_s'],
    ['p95DurationS', 'p95_duration_s'],
  ];
  for (const [prop, key] of optional) {
    const v = num(o, key, false);
    if (v !== undefined) stats[prop] = v;
  }
  if (o.last_success_at !== null && o.last_success_at !== undefined) stats.lastSuccessAt = parseRfc3339(o.last_success_at, 'stats.last_success_at');
  return stats;
}

/** One status object, as MirrorStatus or (with an optional `worker`) as /jobs' WebMirrorStatus. */
function parseStatus(json: unknown, key: string): MirrorStatus {
  try {
    return parseMirrorStatus(json);
  } catch {
    const { worker, error_msg: errorMsg, ...web } = json as Record<string, unknown>;
    try {
      const s = parseWebMirrorStatus(web);
      return { ...emptyMirrorStatus(s.name, typeof worker === 'string' ? worker : ''), ...s, errorMsg: typeof errorMsg === 'string' ? errorMsg : '' };
    } catch (err) {
      throw new ValidationError(`${key}: ${err instanceof Error ? err.message : String(err)}`, key);
    }
  }
}

const isStatusObject = (x: unknown): boolean => !!x && typeof x === 'object' && typeof (x as { status?: unknown }).status === 'string';

/** Parses a `GET /jobs/:mirror` answer; throws a ValidationError naming what is wrong. */
export function parseMirrorView(json: unknown): MirrorView {
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new ValidationError('the answer must be an object');
  const o = json as Record<string, unknown>;
  const view: MirrorView = { statuses: [], stats: parseMirrorStats(o.stats) };
  if (o.last_run !== null && o.last_run !== undefined) view.lastRun = parseRunRecord(o.last_run);
  for (const [key, value] of Object.entries(o)) {
    if (key === 'last_run' || key === 'stats') continue;
    if (Array.isArray(value) && value.length > 0 && value.every(isStatusObject)) {
      view.statuses = value.map((v, i) => parseStatus(v, `${key}[${i}]`));
      break;
    }
  }
  return view;
}
