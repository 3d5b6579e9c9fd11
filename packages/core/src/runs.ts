/**
 * Runs on the wire (wave2.md § Runs, issue 14). A run is everything from
 * `pre-syncing` to the final `success`/`failed`, retries included.
 *
 * - `RunFields`: the optional fields our worker adds to a status report
 *   (`POST /workers/:id/jobs/:job`); tunasync's manager ignores them, and a
 *   report without them (tunasync's worker) still makes history.
 * - `RunRecord`: one row of a mirror's history as the manager keeps it and
 *   `GET /jobs/:mirror/history` answers it (`RunRecordJSON`).
 */
import { ValidationError } from './errors.js';
import { MAX_NAME_BYTES } from './wire-schemas.js';
import { formatRfc3339, parseRfc3339 } from './time.js';

/** How a run came about. */
export type RunTrigger = 'schedule' | 'manual' | 'force' | 'startup' | 'external';

/** Every RunTrigger, for validation. */
export const RUN_TRIGGERS: readonly RunTrigger[] = ['schedule', 'manual', 'force', 'startup', 'external'];

/** How a run ended (`skipped`: it never started, e.g. a disk or upstream guard). */
export type RunResult = 'success' | 'failed' | 'aborted' | 'skipped';

/** Every RunResult, for validation. */
export const RUN_RESULTS: readonly RunResult[] = ['success', 'failed', 'aborted', 'skipped'];

/** The run fields of a status report. All but `runId` are optional; the final-report ones come with `final: true`. */
export interface RunFields {
  /** Unique per run; the same on every report of the run, retries included. */
  runId: string;
  /** The try, from 1. */
  attempt?: number;
  /** True on the report that ends the run (`success`, or the `failed` of the last try). */
  final?: boolean;
  trigger?: RunTrigger;
  /** Final report: the last provider command's exit code. */
  exitCode?: number;
  /** Final report: seconds from pre-syncing to the end. */
  durationS?: number;
  /** Final report: rsync's "Total transferred file size" (or a command's `transferred_pattern`). */
  transferredBytes?: number;
  /** Final report: rsync's "Number of regular files transferred". */
  filesTransferred?: number;
  /** Final report: the run's log file name, without directory. */
  logFile?: string;
  /**
   * Final report of a run a guard skipped (issue 18): its status repeats the
   * job's last one and its `error_msg` says why; the manager keeps the stored
   * status but the message and records a `skipped` run.
   */
  skipped?: boolean;
}

/** The snake_case wire form of RunFields, as merged into a status report body. */
export interface RunFieldsJSON {
  run_id: string;
  attempt?: number;
  final?: boolean;
  trigger?: RunTrigger;
  exit_code?: number;
  duration_s?: number;
  transferred_bytes?: number;
  files_transferred?: number;
  log_file?: string;
  skipped?: boolean;
}

function bad(field: string, why: string): ValidationError {
  return new ValidationError(`${field}: ${why}`, field);
}

function optInt(o: Record<string, unknown>, key: string, min: number): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw bad(key, `must be an integer ≥ ${min}`);
  return v;
}

function optNumber(o: Record<string, unknown>, key: string): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw bad(key, 'must be a number ≥ 0');
  return v;
}

function optString(o: Record<string, unknown>, key: string, maxBytes = MAX_NAME_BYTES): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw bad(key, 'must be a string');
  if (Buffer.byteLength(v, 'utf8') > maxBytes) throw bad(key, `must not be longer than ${maxBytes} bytes`);
  return v;
}

/**
 * The run fields of a status report body, or undefined when it has none
 * (`run_id` absent: tunasync's worker). Wrong types are a ValidationError
 * naming the field; a `log_file` with a directory part is refused.
 */
export function parseRunFields(body: unknown): RunFields | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const o = body as Record<string, unknown>;
  if (o.run_id === undefined || o.run_id === null) return undefined;
  const runId = optString(o, 'run_id');
  if (!runId) throw bad('run_id', 'must be a non-empty string');
  const out: RunFields = { runId };
  const attempt = optInt(o, 'attempt', 1);
  if (attempt !== undefined) out.attempt = attempt;
  if (o.final !== undefined && o.final !== null) {
    if (typeof o.final !== 'boolean') throw bad('final', 'must be true or false');
    out.final = o.final;
  }
  const trigger = optString(o, 'trigger');
  if (trigger !== undefined) {
    if (!RUN_TRIGGERS.includes(trigger as RunTrigger)) throw bad('trigger', `must be one of ${RUN_TRIGGERS.join(', ')}`);
    out.trigger = trigger as RunTrigger;
  }
  const exitCode = optInt(o, 'exit_code', Number.MIN_SAFE_INTEGER);
  if (exitCode !== undefined) out.exitCode = exitCode;
  const durationS = optNumber(o, 'duration_s');
  if (durationS !== undefined) out.durationS = durationS;
  const transferredBytes = optInt(o, 'transferred_bytes', 0);
  if (transferredBytes !== undefined) out.transferredBytes = transferredBytes;
  const filesTransferred = optInt(o, 'files_transferred', 0);
  if (filesTransferred !== undefined) out.filesTransferred = filesTransferred;
  const logFile = optString(o, 'log_file');
  if (logFile !== undefined) {
    if (logFile.includes('/') || logFile.includes('\\') || logFile === '.' || logFile === '..') throw bad('log_file', 'must be a file name without directory');
    out.logFile = logFile;
  }
  if (o.skipped !== undefined && o.skipped !== null) {
    if (typeof o.skipped !== 'boolean') throw bad('skipped', 'must be true or false');
    if (o.skipped) out.skipped = true;
  }
  return out;
}

/** The wire form of RunFields (only the fields that are set), to merge into a status report body. */
export function serializeRunFields(r: RunFields): RunFieldsJSON {
  return {
    run_id: r.runId,
    ...(r.attempt !== undefined ? { attempt: r.attempt } : {}),
    ...(r.final !== undefined ? { final: r.final } : {}),
    ...(r.trigger !== undefined ? { trigger: r.trigger } : {}),
    ...(r.exitCode !== undefined ? { exit_code: r.exitCode } : {}),
    ...(r.durationS !== undefined ? { duration_s: r.durationS } : {}),
    ...(r.transferredBytes !== undefined ? { transferred_bytes: r.transferredBytes } : {}),
    ...(r.filesTransferred !== undefined ? { files_transferred: r.filesTransferred } : {}),
    ...(r.logFile !== undefined ? { log_file: r.logFile } : {}),
    ...(r.skipped ? { skipped: true } : {}),
  };
}

/** One run of a mirror on a worker, as the manager keeps it. Times are the manager's clock. */
export interface RunRecord {
  runId: string;
  worker: string;
  mirror: string;
  trigger: RunTrigger;
  startedAt: Date;
  /** Undefined while the run is in progress. */
  endedAt?: Date;
  durationS?: number;
  /** Undefined while the run is in progress. */
  result?: RunResult;
  attempts: number;
  exitCode?: number;
  errorMsg: string;
  size: string;
  transferredBytes?: number;
  filesTransferred?: number;
  logFile?: string;
}

/** The JSON of one history row (`GET /jobs/:mirror/history`); absent values are `null`. */
export interface RunRecordJSON {
  run_id: string;
  worker: string;
  mirror: string;
  trigger: RunTrigger;
  started_at: string;
  ended_at: string | null;
  duration_s: number | null;
  result: RunResult | null;
  attempts: number;
  exit_code: number | null;
  error_msg: string;
  size: string;
  transferred_bytes: number | null;
  files_transferred: number | null;
  log_file: string | null;
}

/** Serialises a history row. */
export function serializeRunRecord(r: RunRecord): RunRecordJSON {
  return {
    run_id: r.runId,
    worker: r.worker,
    mirror: r.mirror,
    trigger: r.trigger,
    started_at: formatRfc3339(r.startedAt),
    ended_at: r.endedAt ? formatRfc3339(r.endedAt) : null,
    duration_s: r.durationS ?? null,
    result: r.result ?? null,
    attempts: r.attempts,
    exit_code: r.exitCode ?? null,
    error_msg: r.errorMsg,
    size: r.size,
    transferred_bytes: r.transferredBytes ?? null,
    files_transferred: r.filesTransferred ?? null,
    log_file: r.logFile ?? null,
  };
}

function str(o: Record<string, unknown>, key: string): string {
  const v = o[key];
  if (typeof v !== 'string') throw bad(key, 'must be a string');
  return v;
}

function nullableNumber(o: Record<string, unknown>, key: string): number | undefined {
  const v = o[key];
  if (v === null || v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(key, 'must be a number or null');
  return v;
}

/** Parses one history row (as tunasynctl reads it). */
export function parseRunRecord(json: unknown): RunRecord {
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new ValidationError('a history row must be an object');
  const o = json as Record<string, unknown>;
  const trigger = str(o, 'trigger');
  if (!RUN_TRIGGERS.includes(trigger as RunTrigger)) throw bad('trigger', `must be one of ${RUN_TRIGGERS.join(', ')}`);
  const result = o.result === null || o.result === undefined ? undefined : str(o, 'result');
  if (result !== undefined && !RUN_RESULTS.includes(result as RunResult)) throw bad('result', `must be one of ${RUN_RESULTS.join(', ')}`);
  const attempts = nullableNumber(o, 'attempts') ?? 0;
  const rec: RunRecord = {
    runId: str(o, 'run_id'),
    worker: str(o, 'worker'),
    mirror: str(o, 'mirror'),
    trigger: trigger as RunTrigger,
    startedAt: parseRfc3339(o.started_at, 'started_at'),
    attempts,
    errorMsg: typeof o.error_msg === 'string' ? o.error_msg : '',
    size: typeof o.size === 'string' ? o.size : '',
  };
  if (o.ended_at !== null && o.ended_at !== undefined) rec.endedAt = parseRfc3339(o.ended_at, 'ended_at');
  if (result !== undefined) rec.result = result as RunResult;
  const optional: [keyof RunRecord, string][] = [
    ['durationS', 'duration_s'],
    ['exitCode', 'exit_code'],
    ['transferredBytes', 'transferred_bytes'],
    ['filesTransferred', 'files_transferred'],
  ];
  for (const [prop, key] of optional) {
    const v = nullableNumber(o, key);
    if (v !== undefined) (rec as unknown as Record<string, number>)[prop] = v;
  }
  if (typeof o.log_file === 'string') rec.logFile = o.log_file;
  return rec;
}
