/**
 * The run history of the SQLite store (issue 14): the `runs` table's
 * statements, applying a RunHistoryStep inside the status update's transaction,
 * history queries and retention. Every function runs synchronously inside
 * whatever transaction its caller holds.
 */
import type Database from 'better-sqlite3';
import { RUN_ROW_COLUMNS, openRunRow, runRecordOfRow, type RunQuery, type RunRecord, type RunResult, type RunHistoryStep, type RunRow, type RunTrigger } from '@tunasync/core';
import type { RunStatsHooks } from './sqlite-stats.js';


interface CloseParams {
  id: number;
  at: number;
  result: string;
  attempt: number | null;
  duration_s: number | null;
  exit_code: number | null;
  error_msg: string;
  size: string;
  transferred_bytes: number | null;
  files_transferred: number | null;
  log_file: string | null;
}

function prepareRunStatements(db: Database.Database) {
  return {
    openOf: db.prepare<[string, string], { id: number; run_id: string }>(
      'SELECT id, run_id FROM runs WHERE worker = ? AND mirror = ? AND result IS NULL ORDER BY started_at DESC, id DESC LIMIT 1',
    ),
    byRunId: db.prepare<[string, string, string], { id: number; result: string | null }>(
      'SELECT id, result FROM runs WHERE mirror = ? AND worker = ? AND run_id = ?',
    ),
    abortOpen: db.prepare<{ worker: string; mirror: string; at: number; keep: string | null }>(
      `UPDATE runs SET result = 'aborted', ended_at = @at, duration_s = MAX(0, (@at - started_at) / 1000.0)
       WHERE worker = @worker AND mirror = @mirror AND result IS NULL AND (@keep IS NULL OR run_id <> @keep)`,
    ),
    insert: db.prepare<Omit<RunRow, 'id'>>(
      `INSERT INTO runs (run_id, worker, mirror, trigger, started_at, ended_at, duration_s, result, attempts,
                         exit_code, error_msg, size, transferred_bytes, files_transferred, log_file)
       VALUES (@run_id, @worker, @mirror, @trigger, @started_at, @ended_at, @duration_s, @result, @attempts,
               @exit_code, @error_msg, @size, @transferred_bytes, @files_transferred, @log_file)`,
    ),
    // Writes only when the attempts rise (a syncing of the same try changes nothing).
    raiseAttempts: db.prepare<{ attempt: number; id: number }>('UPDATE runs SET attempts = @attempt WHERE id = @id AND attempts < @attempt'),
    close: db.prepare<CloseParams>(
      `UPDATE runs SET ended_at = @at, result = @result, attempts = MAX(attempts, COALESCE(@attempt, attempts)),
         duration_s = COALESCE(@duration_s, MAX(0, (@at - started_at) / 1000.0)), exit_code = @exit_code,
         error_msg = @error_msg, size = @size, transferred_bytes = @transferred_bytes,
         files_transferred = @files_transferred, log_file = @log_file
       WHERE id = @id`,
    ),
    fill: db.prepare<CloseParams>(
      `UPDATE runs SET attempts = MAX(attempts, COALESCE(@attempt, attempts)), exit_code = COALESCE(exit_code, @exit_code),
         transferred_bytes = COALESCE(transferred_bytes, @transferred_bytes),
         files_transferred = COALESCE(files_transferred, @files_transferred), log_file = COALESCE(log_file, @log_file)
       WHERE id = @id`,
    ),
    getRun: db.prepare<[string, string], RunRow>(
      `SELECT ${RUN_ROW_COLUMNS} FROM runs WHERE mirror = ? AND run_id = ? ORDER BY started_at DESC, id DESC LIMIT 1`,
    ),
    getRunOf: db.prepare<[string, string, string], RunRow>(`SELECT ${RUN_ROW_COLUMNS} FROM runs WHERE mirror = ? AND worker = ? AND run_id = ?`),
    pruneJob: db.prepare<{ worker: string; mirror: string; keep: number; cutoff: number }>(
      `DELETE FROM runs WHERE mirror = @mirror AND worker = @worker AND (started_at < @cutoff OR id IN (
         SELECT id FROM runs WHERE mirror = @mirror AND worker = @worker ORDER BY started_at DESC, id DESC LIMIT -1 OFFSET @keep))`,
    ),
    pruneOld: db.prepare<[number, number]>('DELETE FROM runs WHERE id IN (SELECT id FROM runs WHERE started_at < ? LIMIT ?)'),
  };
}

type RunStatements = ReturnType<typeof prepareRunStatements>;

/** Closes the job's open runs (but `keep`) as aborted, and tells the stats when any was. */
function abortOpen(stmt: RunStatements, stats: RunStatsHooks, worker: string, mirror: string, at: number, keep: string | null): void {
  if (stmt.abortOpen.run({ worker, mirror, at, keep }).changes > 0) stats.aborted(worker, mirror, at);
}

/**
 * Applies one RunHistoryStep of job (worker, mirror) (see core's
 * RunHistoryStep for the rules), with as few statements as it can: the job's
 * open run is read first (a tiny partial index), and the common cases (a
 * report of the open run, a new run, a tunasync-style end) write one row.
 */
function applyRunStep(stmt: RunStatements, stats: RunStatsHooks, worker: string, mirror: string, step: RunHistoryStep): void {
  const at = step.at.getTime();
  if (step.kind === 'abort') {
    abortOpen(stmt, stats, worker, mirror, at, null);
    return;
  }
  const open = stmt.openOf.get(worker, mirror);
  if (step.kind === 'open') {
    if (open && step.onlyIfNoneOpen) return;
    if (open && open.run_id === step.runId) {
      stmt.raiseAttempts.run({ attempt: step.attempt, id: open.id });
      return;
    }
    if (open) abortOpen(stmt, stats, worker, mirror, at, step.runId);
    const existing = step.isNew ? undefined : stmt.byRunId.get(mirror, worker, step.runId);
    if (existing) stmt.raiseAttempts.run({ attempt: step.attempt, id: existing.id });
    else stmt.insert.run({ ...openRunRow(step.runId, worker, mirror, step.trigger, at), attempts: step.attempt });
    return;
  }
  const params: Omit<CloseParams, 'id'> = {
    at,
    result: step.result,
    attempt: step.attempt ?? null,
    duration_s: step.durationS ?? null,
    exit_code: step.exitCode ?? null,
    error_msg: step.errorMsg,
    size: step.size,
    transferred_bytes: step.transferredBytes ?? null,
    files_transferred: step.filesTransferred ?? null,
    log_file: step.logFile ?? null,
  };
  let target: { id: number; result: string | null } | undefined;
  if (open && (step.matchOpen || open.run_id === step.runId)) {
    target = { id: open.id, result: null };
  } else if (!step.matchOpen) {
    if (open) abortOpen(stmt, stats, worker, mirror, at, step.runId);
    target = stmt.byRunId.get(mirror, worker, step.runId);
  }
  if (target) {
    if (target.result !== null) stmt.fill.run({ ...params, id: target.id });
    else {
      stmt.close.run({ ...params, id: target.id });
      stats.closed(target.id);
    }
    return;
  }
  // A run that ends without a row: one closed row, started its duration ago (or now).
  const started = step.durationS !== undefined && !step.matchOpen ? at - Math.round(step.durationS * 1000) : at;
  const inserted = stmt.insert.run({
    ...openRunRow(step.runId, worker, mirror, step.trigger, started),
    attempts: step.attempt ?? 1,
    ended_at: at,
    duration_s: step.durationS ?? (at - started) / 1000,
    result: step.result,
    exit_code: params.exit_code,
    error_msg: params.error_msg,
    size: params.size,
    transferred_bytes: params.transferred_bytes,
    files_transferred: params.files_transferred,
    log_file: params.log_file,
  });
  stats.closed(Number(inserted.lastInsertRowid));
}


/** The runs table: steps, history pages (statements prepared per filter combination, once) and retention. */
export class RunTable {
  private readonly queries = new Map<string, Database.Statement<Record<string, unknown>, RunRow>>();
  private readonly stmt: RunStatements;

  constructor(
    private readonly db: Database.Database,
    private readonly stats: RunStatsHooks,
  ) {
    this.stmt = prepareRunStatements(db);
  }

  /** Applies a step to job (worker, mirror); call inside the status update's transaction. */
  apply(worker: string, mirror: string, step: RunHistoryStep): void {
    applyRunStep(this.stmt, this.stats, worker, mirror, step);
  }

  /** Deletes one job's runs beyond `keep` and before `cutoff` (ms); returns how many. */
  pruneJob(worker: string, mirror: string, keep: number, cutoff: number): number {
    return this.stmt.pruneJob.run({ worker, mirror, keep, cutoff }).changes;
  }

  /** Deletes at most `limit` runs started before `cutoff` (ms); returns how many. */
  pruneOld(cutoff: number, limit: number): number {
    return this.stmt.pruneOld.run(cutoff, limit).changes;
  }

  /** A mirror's runs, newest first (see JobStore.listRuns). */
  list(mirror: string, q: RunQuery): RunRecord[] {
    const params: Record<string, unknown> = { mirror, limit: q.limit };
    const where = ['mirror = @mirror'];
    if (q.worker !== undefined) {
      where.push('worker = @worker');
      params.worker = q.worker;
    }
    if (q.result !== undefined) {
      where.push('result = @result');
      params.result = q.result;
    }
    if (q.before !== undefined) {
      const b = q.worker !== undefined ? this.stmt.getRunOf.get(mirror, q.worker, q.before) : this.stmt.getRun.get(mirror, q.before);
      if (!b) return [];
      where.push('(started_at, id) < (@bs, @bid)');
      params.bs = b.started_at;
      params.bid = b.id;
    }
    const sql = `SELECT ${RUN_ROW_COLUMNS} FROM runs WHERE ${where.join(' AND ')} ORDER BY started_at DESC, id DESC LIMIT @limit`;
    let s = this.queries.get(sql);
    if (!s) {
      s = this.db.prepare<Record<string, unknown>, RunRow>(sql);
      this.queries.set(sql, s);
    }
    return s.all(params).map(runRecordOfRow);
  }

  /** One run of a mirror (on `worker` when given). */
  get(mirror: string, runId: string, worker?: string): RunRecord | undefined {
    const row = worker !== undefined ? this.stmt.getRunOf.get(mirror, worker, runId) : this.stmt.getRun.get(mirror, runId);
    return row ? runRecordOfRow(row) : undefined;
  }
}
