/**
 * One group-commit batch of the PostgreSQL store: one transaction in two
 * round trips whatever its size:
 *   1. BEGIN and every job's row under its lock (in the database's key
 *      order, so two managers' batches never deadlock on them);
 *   2. (the next statuses computed here, in order: several reports of one job
 *      chain) one multi-statement query with every value as an escaped
 *      literal: one UPDATE of the jobs' statuses (one INSERT of new jobs),
 *      their change notifications, every run history step in report order
 *      (`tunasync_run_steps`, migration 2), each refreshed worker's
 *      `last_online` (in key order), and COMMIT.
 * An update or run callback that throws fails its report only (nothing of it
 * is written). A database error throws out of the batch, whose caller rolls
 * it back and runs each write on its own; so does a new job another manager
 * inserted meanwhile (its INSERT fails), whose report then merges into
 * theirs.
 */
import type pg from 'pg';
import type { MirrorStatus, WorkerStatus } from '@tunasync/core';
import { CHANGE_CHANNEL, changeText } from './pg-feed.js';
import type { RunStepOf, StatusUpdate } from './pg-merge.js';
import type { Queryable } from './pg-pool.js';
import { STATUS_COLUMNS, escapeLiteral, storedStatus, toStatus, toWorker, type StatusRow, type WorkerRow } from './pg-rows.js';
import { runStepText } from './pg-runs.js';

/** A status merge waiting for a batch (JobStore.updateMirrorStatus). */
export interface StatusWrite {
  kind: 'status';
  worker: string;
  mirror: string;
  update: StatusUpdate;
  run: RunStepOf | undefined;
}

/** A worker's `last_online` refresh waiting for a batch (JobStore.refreshWorker). */
export interface RefreshWrite {
  kind: 'refresh';
  worker: string;
  at: Date;
}

/** A write a batch can hold. */
export type BatchWrite = StatusWrite | RefreshWrite;

/** What a write of a batch came to (settled by the caller after COMMIT). */
export type BatchOutcome = { ok: true; value: MirrorStatus | WorkerStatus | undefined } | { ok: false; error: unknown };

interface JobState {
  worker: string;
  mirror: string;
  exists: boolean;
  status: MirrorStatus | undefined;
  dirty: boolean;
}

const keyOf = (worker: string, mirror: string) => `${worker}\u0000${mirror}`;

/** An integer (milliseconds) as an SQL literal. */
function int(n: number): string {
  if (!Number.isSafeInteger(n)) throw new Error(`not a time in milliseconds: ${n}`);
  return String(n);
}

/** A status as a row of literals, in STATUS_COLUMNS order. */
const statusLiterals = (s: MirrorStatus): string =>
  `(${escapeLiteral(s.worker)}, ${escapeLiteral(s.name)}, ${s.isMaster ? 'true' : 'false'}, ${escapeLiteral(s.status)}, ` +
  `${int(s.lastUpdate.getTime())}::bigint, ${int(s.lastStarted.getTime())}::bigint, ${int(s.lastEnded.getTime())}::bigint, ` +
  `${int(s.nextSchedule.getTime())}::bigint, ${escapeLiteral(s.upstream)}, ${escapeLiteral(s.size)}, ${escapeLiteral(s.errorMsg)})`;

/** Round trip 1: BEGIN and the jobs' rows, locked in the database's key order. */
async function readJobs(db: Queryable, jobs: Map<string, JobState>): Promise<void> {
  const list = [...jobs.values()].map((j) => `(${escapeLiteral(j.worker)}, ${escapeLiteral(j.mirror)})`).join(', ');
  const results = (await db.query(
    `BEGIN; SELECT * FROM mirror_status WHERE (worker, name) IN (${list}) ORDER BY worker, name FOR UPDATE`,
  )) as unknown as pg.QueryResult[];
  for (const row of results[1]!.rows as StatusRow[]) {
    const job = jobs.get(keyOf(row.worker, row.name))!;
    job.exists = true;
    job.status = toStatus(row);
  }
}

/** The statements of round trip 2 that write the changed jobs' statuses and announce them. */
function statusStatements(jobs: Map<string, JobState>): string[] {
  const changed = [...jobs.values()].filter((j) => j.dirty);
  const old = changed.filter((j) => j.exists);
  const fresh = changed.filter((j) => !j.exists);
  const sql: string[] = [];
  if (old.length > 0) {
    sql.push(
      'UPDATE mirror_status AS m SET is_master = v.is_master, status = v.status, last_update = v.last_update, last_started = v.last_started, ' +
        'last_ended = v.last_ended, next_schedule = v.next_schedule, upstream = v.upstream, size = v.size, error_msg = v.error_msg ' +
        `FROM (VALUES ${old.map((j) => statusLiterals(j.status!)).join(', ')}) AS v(${STATUS_COLUMNS}) ` +
        'WHERE m.worker = v.worker AND m.name = v.name',
    );
  }
  // A job another transaction inserted meanwhile fails the batch (each report is then merged on its own).
  if (fresh.length > 0) sql.push(`INSERT INTO mirror_status (${STATUS_COLUMNS}) VALUES ${fresh.map((j) => statusLiterals(j.status!)).join(', ')}`);
  if (changed.length > 0) {
    const changes = changed.map((j) => `(${escapeLiteral(changeText({ kind: 'status', worker: j.worker, mirror: j.mirror }))})`);
    sql.push(`SELECT pg_notify('${CHANGE_CHANNEL}', c) FROM (VALUES ${changes.join(', ')}) AS n(c)`);
  }
  return sql;
}

/**
 * Applies `writes` in one transaction on `db` (BEGIN and COMMIT included);
 * returns each write's outcome, in order. Throws on a database error (the
 * caller rolls back). `progress.commitSent` tells the caller whether the
 * query ending in COMMIT went out (after a lost connection, whether it
 * committed is then unknown).
 */
export async function applyBatch(db: Queryable, writes: readonly BatchWrite[], progress: { commitSent: boolean } = { commitSent: false }): Promise<BatchOutcome[]> {
  const outcomes: BatchOutcome[] = new Array(writes.length);
  const jobs = new Map<string, JobState>();
  const refreshes = new Map<string, number>();
  for (const w of writes) {
    if (w.kind === 'refresh') refreshes.set(w.worker, w.at.getTime());
    else if (!jobs.has(keyOf(w.worker, w.mirror))) {
      jobs.set(keyOf(w.worker, w.mirror), { worker: w.worker, mirror: w.mirror, exists: false, status: undefined, dirty: false });
    }
  }
  if (jobs.size > 0) await readJobs(db, jobs);
  // The next statuses, report after report; a callback that throws fails its report only.
  const steps: { job: JobState; step: NonNullable<ReturnType<RunStepOf>> }[] = [];
  writes.forEach((w, index) => {
    if (w.kind !== 'status') return;
    const job = jobs.get(keyOf(w.worker, w.mirror))!;
    try {
      const previous = job.status;
      const next = storedStatus(w.update(previous), w.worker, w.mirror);
      const step = w.run?.(previous, next);
      job.status = next;
      job.dirty = true;
      outcomes[index] = { ok: true, value: next };
      if (step) steps.push({ job, step });
    } catch (error) {
      outcomes[index] = { ok: false, error };
    }
  });
  const sql = jobs.size > 0 ? statusStatements(jobs) : ['BEGIN'];
  if (steps.length > 0) {
    const array = (items: string[], type: string) => `ARRAY[${items.map(escapeLiteral).join(', ')}]::${type}[]`;
    sql.push(
      `SELECT tunasync_run_steps(${array(steps.map((s) => s.job.worker), 'text')}, ${array(steps.map((s) => s.job.mirror), 'text')}, ` +
        `${array(steps.map((s) => runStepText(s.step)), 'jsonb')})`,
    );
  }
  const ids = [...refreshes.keys()].sort();
  const firstRefresh = sql.length;
  for (const id of ids) sql.push(`UPDATE workers SET last_online = ${int(refreshes.get(id)!)} WHERE id = ${escapeLiteral(id)} RETURNING *`);
  sql.push('COMMIT');
  progress.commitSent = true;
  const raw = (await db.query(sql.join('; '))) as unknown as pg.QueryResult | pg.QueryResult[];
  const results = Array.isArray(raw) ? raw : [raw];
  const workers = new Map(ids.map((id, i) => {
    const row = results[firstRefresh + i]!.rows[0] as WorkerRow | undefined;
    return [id, row ? toWorker(row) : undefined];
  }));
  writes.forEach((w, index) => {
    if (w.kind === 'refresh') outcomes[index] = { ok: true, value: workers.get(w.worker) };
  });
  return outcomes;
}
