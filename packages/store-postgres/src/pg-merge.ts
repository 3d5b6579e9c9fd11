/**
 * One status report merged on its own: the job's row read under its lock,
 * the next status computed, written
 * with its change notification, and the run history step applied, all in
 * the caller's transaction. A first report whose insert loses a race with
 * another manager's re-reads the winner's row and merges into it.
 */
import type pg from 'pg';
import type { MirrorStatus, RunHistoryStep } from '@tunasync/core';
import { CHANGE_CHANNEL, changeText } from './pg-feed.js';
import type { Queryable } from './pg-pool.js';
import { STATUS_COLUMNS, escapeLiteral, statusValues, storedStatus, toStatus, type StatusRow } from './pg-rows.js';
import * as runs from './pg-runs.js';

/** Computes a job's next status from its previous one (JobStore.updateMirrorStatus). */
export type StatusUpdate = (previous: MirrorStatus | undefined) => MirrorStatus;
/** The run history step of a status change, if any. */
export type RunStepOf = (previous: MirrorStatus | undefined, next: MirrorStatus) => RunHistoryStep | undefined;

/** The UPDATE of one status row that also announces it ($1–$11 statusValues, $12 the change). */
export const UPDATE_STATUS_SQL = `UPDATE mirror_status SET is_master = $3, status = $4, last_update = $5, last_started = $6, last_ended = $7,
  next_schedule = $8, upstream = $9, size = $10, error_msg = $11 WHERE worker = $1 AND name = $2
  RETURNING pg_notify('${CHANGE_CHANNEL}', $12)`;

/** The INSERT of a new status row that announces it, doing nothing when another transaction inserted it. */
export const INSERT_STATUS_SQL = `INSERT INTO mirror_status (${STATUS_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
  ON CONFLICT (worker, name) DO NOTHING RETURNING pg_notify('${CHANGE_CHANNEL}', $12)`;

/**
 * Merges one report in the transaction on `db`; `begins` sends BEGIN with the
 * first read (the caller has not). When `update` or `run` throws, nothing
 * is written and the error propagates.
 */
export async function mergeStatus(
  db: Queryable,
  workerId: string,
  mirrorId: string,
  update: StatusUpdate,
  run: RunStepOf | undefined,
  begins: boolean,
): Promise<MirrorStatus> {
  // The job's row under its lock (simple protocol, so BEGIN rides along; literals escaped).
  const readSql = `SELECT * FROM mirror_status WHERE worker = ${escapeLiteral(workerId)} AND name = ${escapeLiteral(mirrorId)} FOR UPDATE`;
  let first = begins;
  for (;;) {
    const raw = (await db.query(first ? `BEGIN; ${readSql}` : readSql)) as unknown as pg.QueryResult | pg.QueryResult[];
    first = false;
    const row = (Array.isArray(raw) ? raw.at(-1)! : raw).rows[0] as StatusRow | undefined;
    const previous = row ? toStatus(row) : undefined;
    const stored = storedStatus(update(previous), workerId, mirrorId);
    // The change is announced by the write itself (one round trip less per report).
    const values = [...statusValues(stored), changeText({ kind: 'status', worker: workerId, mirror: mirrorId })];
    // Before the write: a callback that throws leaves nothing behind, even inside a batch's transaction.
    const step = run?.(previous, stored);
    if (row) {
      await db.query(UPDATE_STATUS_SQL, values);
    } else {
      const { rowCount } = await db.query(INSERT_STATUS_SQL, values);
      if (!rowCount) continue; // another manager inserted it first: merge into theirs
    }
    if (step) await runs.applyRunSteps(db, [{ worker: workerId, mirror: mirrorId, step }]);
    return stored;
  }
}
