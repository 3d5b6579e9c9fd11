/**
 * The run history of the PostgreSQL store: applying a RunHistoryStep inside
 * the status update's transaction (the same rules, statement for statement,
 * as the SQLite store; see core's RunHistoryStep), the job's stats updated in
 * that transaction when a run closes, history queries and retention.
 */
import { RUN_ROW_COLUMNS, openRunRow, runRecordOfRow, type RunHistoryStep, type RunQuery, type RunRecord, type RunResult, type RunRow, type RunTrigger } from '@tunasync/core';
import type { Queryable } from './pg-pool.js';


/** The job's open run (newest), parameters worker and mirror. */
export const OPEN_RUN_SQL =
  'SELECT id, run_id FROM runs WHERE worker = $1 AND mirror = $2 AND result IS NULL ORDER BY started_at DESC, id DESC LIMIT 1';

/** What closing runs did, for the job's stats. */
interface Closed {
  result: string;
  duration_s: number | null;
  transferred_bytes: number | null;
}

/** Counts closed runs into the job's stats (same transaction); the last one gives the "last" figures. */
async function recordStats(db: Queryable, worker: string, mirror: string, closed: Closed[]): Promise<void> {
  for (const c of closed) {
    const counted = c.result === 'success' || c.result === 'failed';
    await db.query(
      `INSERT INTO job_stats AS s (worker, mirror, runs_total, failures_total, consecutive_failures, transferred_bytes_total,
                                   last_result, last_duration_s, last_transferred_bytes)
       VALUES ($1, $2, $3::int, $4::int, $4::int, COALESCE($7::bigint, 0), $5, $6, $7)
       ON CONFLICT (worker, mirror) DO UPDATE SET
         runs_total = s.runs_total + $3::int,
         failures_total = s.failures_total + $4::int,
         consecutive_failures = CASE WHEN $5 = 'success' THEN 0 ELSE s.consecutive_failures + $4::int END,
         transferred_bytes_total = s.transferred_bytes_total + COALESCE($7::bigint, 0),
         last_result = $5, last_duration_s = $6, last_transferred_bytes = $7`,
      [worker, mirror, counted ? 1 : 0, c.result === 'failed' ? 1 : 0, c.result, c.duration_s, counted ? c.transferred_bytes : null],
    );
  }
}

async function abortOpen(db: Queryable, worker: string, mirror: string, at: number, keep: string | null): Promise<Closed[]> {
  const { rows } = await db.query<Closed>(
    `UPDATE runs SET result = 'aborted', ended_at = $3, duration_s = GREATEST(0, ($3 - started_at) / 1000.0)
     WHERE worker = $1 AND mirror = $2 AND result IS NULL AND ($4::text IS NULL OR run_id <> $4)
     RETURNING result, duration_s, transferred_bytes`,
    [worker, mirror, at, keep],
  );
  return rows;
}

async function insertRun(db: Queryable, r: Omit<RunRow, 'id'>): Promise<void> {
  await db.query(
    `INSERT INTO runs (run_id, worker, mirror, trigger, started_at, ended_at, duration_s, result, attempts,
                       exit_code, error_msg, size, transferred_bytes, files_transferred, log_file)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
    [
      r.run_id, r.worker, r.mirror, r.trigger, r.started_at, r.ended_at, r.duration_s, r.result, r.attempts,
      r.exit_code, r.error_msg, r.size, r.transferred_bytes, r.files_transferred, r.log_file,
    ],
  );
}


/**
 * Applies one RunHistoryStep of job (worker, mirror) inside the caller's
 * transaction (the job's status row is already locked, so steps of one job
 * never interleave), and counts the runs it closed into the job's stats.
 */
export async function applyRunStep(
  db: Queryable,
  worker: string,
  mirror: string,
  step: RunHistoryStep,
  openRun?: { id: number; run_id: string } | null,
): Promise<void> {
  const at = step.at.getTime();
  if (step.kind === 'abort') {
    await recordStats(db, worker, mirror, await abortOpen(db, worker, mirror, at, null));
    return;
  }
  // `openRun` (null: none) when the caller read it in the same transaction, after locking the job.
  const open =
    openRun !== undefined
      ? (openRun ?? undefined)
      : (await db.query<{ id: number; run_id: string }>(OPEN_RUN_SQL, [worker, mirror])).rows[0];
  const byRunId = async () =>
    (await db.query<{ id: number; result: string | null }>('SELECT id, result FROM runs WHERE mirror = $1 AND worker = $2 AND run_id = $3 ORDER BY id LIMIT 1', [
      mirror, worker, step.runId,
    ])).rows[0];
  const raiseAttempts = (id: number, attempt: number) => db.query('UPDATE runs SET attempts = $1 WHERE id = $2 AND attempts < $1', [attempt, id]);
  if (step.kind === 'open') {
    if (open && step.onlyIfNoneOpen) return;
    if (open && open.run_id === step.runId) {
      await raiseAttempts(open.id, step.attempt);
      return;
    }
    if (open) await recordStats(db, worker, mirror, await abortOpen(db, worker, mirror, at, step.runId));
    const existing = step.isNew ? undefined : await byRunId();
    if (existing) await raiseAttempts(existing.id, step.attempt);
    else await insertRun(db, { ...openRunRow(step.runId, worker, mirror, step.trigger, at), attempts: step.attempt });
    return;
  }
  const p = {
    attempt: step.attempt ?? null,
    exit_code: step.exitCode ?? null,
    transferred_bytes: step.transferredBytes ?? null,
    files_transferred: step.filesTransferred ?? null,
    log_file: step.logFile ?? null,
  };
  let target: { id: number; result: string | null } | undefined;
  if (open && (step.matchOpen || open.run_id === step.runId)) {
    target = { id: open.id, result: null };
  } else if (!step.matchOpen) {
    if (open) await recordStats(db, worker, mirror, await abortOpen(db, worker, mirror, at, step.runId));
    target = await byRunId();
  }
  if (target && target.result === null) {
    const { rows } = await db.query<Closed>(
      `UPDATE runs SET ended_at = $2, result = $3, attempts = GREATEST(attempts, COALESCE($4::int, attempts)),
         duration_s = COALESCE($5::double precision, GREATEST(0, ($2 - started_at) / 1000.0)), exit_code = $6,
         error_msg = $7, size = $8, transferred_bytes = $9, files_transferred = $10, log_file = $11
       WHERE id = $1 RETURNING result, duration_s, transferred_bytes`,
      [target.id, at, step.result, p.attempt, step.durationS ?? null, p.exit_code, step.errorMsg, step.size, p.transferred_bytes, p.files_transferred, p.log_file],
    );
    await recordStats(db, worker, mirror, rows);
    return;
  }
  if (target) {
    await db.query(
      `UPDATE runs SET attempts = GREATEST(attempts, COALESCE($2::int, attempts)), exit_code = COALESCE(exit_code, $3),
         transferred_bytes = COALESCE(transferred_bytes, $4), files_transferred = COALESCE(files_transferred, $5),
         log_file = COALESCE(log_file, $6) WHERE id = $1`,
      [target.id, p.attempt, p.exit_code, p.transferred_bytes, p.files_transferred, p.log_file],
    );
    return;
  }
  // A run that ends without a row: one closed row, started its duration ago (or now).
  const started = step.durationS !== undefined && !step.matchOpen ? at - Math.round(step.durationS * 1000) : at;
  const duration = step.durationS ?? (at - started) / 1000;
  await insertRun(db, {
    ...openRunRow(step.runId, worker, mirror, step.trigger, started),
    attempts: step.attempt ?? 1,
    ended_at: at,
    duration_s: duration,
    result: step.result,
    exit_code: p.exit_code,
    error_msg: step.errorMsg,
    size: step.size,
    transferred_bytes: p.transferred_bytes,
    files_transferred: p.files_transferred,
    log_file: p.log_file,
  });
  await recordStats(db, worker, mirror, [{ result: step.result, duration_s: duration, transferred_bytes: p.transferred_bytes }]);
}

async function findRun(db: Queryable, mirror: string, runId: string, worker?: string): Promise<RunRow | undefined> {
  const { rows } =
    worker !== undefined
      ? await db.query<RunRow>(`SELECT ${RUN_ROW_COLUMNS} FROM runs WHERE mirror = $1 AND worker = $2 AND run_id = $3 ORDER BY id LIMIT 1`, [mirror, worker, runId])
      : await db.query<RunRow>(`SELECT ${RUN_ROW_COLUMNS} FROM runs WHERE mirror = $1 AND run_id = $2 ORDER BY started_at DESC, id DESC LIMIT 1`, [mirror, runId]);
  return rows[0];
}

/** A mirror's runs, newest first (see JobStore.listRuns). */
export async function listRuns(db: Queryable, mirror: string, q: RunQuery): Promise<RunRecord[]> {
  const params: unknown[] = [mirror];
  const where = ['mirror = $1'];
  if (q.worker !== undefined) {
    params.push(q.worker);
    where.push(`worker = $${params.length}`);
  }
  if (q.result !== undefined) {
    params.push(q.result);
    where.push(`result = $${params.length}`);
  }
  if (q.before !== undefined) {
    const b = await findRun(db, mirror, q.before, q.worker);
    if (!b) return [];
    params.push(b.started_at, b.id);
    where.push(`(started_at, id) < ($${params.length - 1}, $${params.length})`);
  }
  params.push(Math.max(0, Math.floor(q.limit)));
  const sql = `SELECT ${RUN_ROW_COLUMNS} FROM runs WHERE ${where.join(' AND ')} ORDER BY started_at DESC, id DESC LIMIT $${params.length}`;
  return (await db.query<RunRow>(sql, params)).rows.map(runRecordOfRow);
}

/** One run of a mirror (on `worker` when given). */
export async function getRun(db: Queryable, mirror: string, runId: string, worker?: string): Promise<RunRecord | undefined> {
  const row = await findRun(db, mirror, runId, worker);
  return row ? runRecordOfRow(row) : undefined;
}

/** Deletes one job's runs beyond the newest `keep` and those started before `cutoff` (ms); returns how many. */
export async function pruneJob(db: Queryable, worker: string, mirror: string, keep: number, cutoff: number): Promise<number> {
  const { rowCount } = await db.query(
    `DELETE FROM runs WHERE mirror = $2 AND worker = $1 AND (started_at < $4 OR id IN (
       SELECT id FROM runs WHERE mirror = $2 AND worker = $1 ORDER BY started_at DESC, id DESC OFFSET $3))`,
    [worker, mirror, keep, cutoff],
  );
  return rowCount ?? 0;
}

/** Deletes at most `limit` runs started before `cutoff` (ms); returns how many. */
export async function pruneOld(db: Queryable, cutoff: number, limit: number): Promise<number> {
  const { rowCount } = await db.query('DELETE FROM runs WHERE id IN (SELECT id FROM runs WHERE started_at < $1 LIMIT $2)', [cutoff, limit]);
  return rowCount ?? 0;
}
