/**
 * The run history as the SQL stores keep it (one `runs` row per run, times
 * in epoch milliseconds): the row shape, its column list and the two
 * conversions every SQL store needs, so SQLite and PostgreSQL read and make
 * rows alike.
 */
import type { RunRecord, RunResult, RunTrigger } from './runs.js';

/** One row of a SQL store's `runs` table. */
export interface RunRow {
  id: number;
  run_id: string;
  worker: string;
  mirror: string;
  trigger: string;
  started_at: number;
  ended_at: number | null;
  duration_s: number | null;
  result: string | null;
  attempts: number;
  exit_code: number | null;
  error_msg: string;
  size: string;
  transferred_bytes: number | null;
  files_transferred: number | null;
  log_file: string | null;
}

/** The columns of RunRow, in order, for SELECT lists. */
export const RUN_ROW_COLUMNS =
  'id, run_id, worker, mirror, trigger, started_at, ended_at, duration_s, result, attempts, exit_code, error_msg, size, transferred_bytes, files_transferred, log_file';

/** The RunRecord a row holds (unset columns left out). */
export function runRecordOfRow(r: RunRow): RunRecord {
  const rec: RunRecord = {
    runId: r.run_id,
    worker: r.worker,
    mirror: r.mirror,
    trigger: r.trigger as RunTrigger,
    startedAt: new Date(r.started_at),
    attempts: r.attempts,
    errorMsg: r.error_msg,
    size: r.size,
  };
  if (r.ended_at !== null) rec.endedAt = new Date(r.ended_at);
  if (r.duration_s !== null) rec.durationS = r.duration_s;
  if (r.result !== null) rec.result = r.result as RunResult;
  if (r.exit_code !== null) rec.exitCode = r.exit_code;
  if (r.transferred_bytes !== null) rec.transferredBytes = r.transferred_bytes;
  if (r.files_transferred !== null) rec.filesTransferred = r.files_transferred;
  if (r.log_file !== null) rec.logFile = r.log_file;
  return rec;
}

/** A new open run's row (one try, nothing known yet), started at `startedAt` (epoch ms). */
export function openRunRow(runId: string, worker: string, mirror: string, trigger: RunTrigger, startedAt: number): Omit<RunRow, 'id'> {
  return {
    run_id: runId,
    worker,
    mirror,
    trigger,
    started_at: startedAt,
    ended_at: null,
    duration_s: null,
    result: null,
    attempts: 1,
    exit_code: null,
    error_msg: '',
    size: '',
    transferred_bytes: null,
    files_transferred: null,
    log_file: null,
  };
}
