/**
 * The run history of the PostgreSQL store: applying RunHistorySteps inside
 * the status update's transaction (the same rules, statement for statement,
 * as the SQLite store, in server-side functions: migration-run-steps.ts),
 * the job's stats updated in that transaction when a run closes, history
 * queries and retention.
 */
import { RUN_ROW_COLUMNS, runRecordOfRow, type RunHistoryStep, type RunQuery, type RunRecord, type RunRow } from '@tunasync/core';
import type { Queryable } from './pg-pool.js';


/** One job's run history step, for applyRunSteps. */
export interface JobRunStep {
  worker: string;
  mirror: string;
  step: RunHistoryStep;
}

/**
 * Applies RunHistorySteps in order, in one round trip, inside the caller's
 * transaction (each job's status row is already locked, so steps of one job
 * never interleave with another transaction's), counting the runs each
 * closes into its job's stats: `tunasync_run_steps` (migration 2).
 */
export async function applyRunSteps(db: Queryable, steps: readonly JobRunStep[]): Promise<void> {
  if (steps.length === 0) return;
  await db.query('SELECT tunasync_run_steps($1::text[], $2::text[], $3::jsonb[])', [
    steps.map((s) => s.worker),
    steps.map((s) => s.mirror),
    steps.map((s) => runStepText(s.step)),
  ]);
}

/** A step as `tunasync_run_step` reads it: JSON, `at` in milliseconds. */
export function runStepText(step: RunHistoryStep): string {
  return JSON.stringify({ ...step, at: step.at.getTime() });
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
