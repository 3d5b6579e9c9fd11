/**
 * One group-commit batch of the PostgreSQL store, in one transaction and
 * about four round trips whatever its size:
 *   1. BEGIN and every job's row under its lock (in the database's key
 *      order, so two managers' batches never deadlock on them);
 *   2. the next statuses, computed in order (several reports of one job chain),
 *      written by one UPDATE (and one INSERT for new jobs), each announcing
 *      its change;
 *   3. the run history steps, report after report, in one call of
 *      `tunasync_run_steps` (migration 2);
 *   4. the workers' `last_online` (one statement per worker, in key order)
 *      and COMMIT.
 * An update or run callback that throws fails its report only (nothing of it
 * is written); a database error throws out of the batch, whose caller rolls
 * it back and runs each write on its own.
 */
import type pg from 'pg';
import type { MirrorStatus, WorkerStatus } from '@tunasync/core';
import { CHANGE_CHANNEL, changeText } from './pg-feed.js';
import { mergeStatus, type RunStepOf, type StatusUpdate } from './pg-merge.js';
import type { Queryable } from './pg-pool.js';
import { STATUS_COLUMNS, STATUS_TYPES, escapeLiteral, statusValues, storedStatus, toStatus, toWorker, type StatusRow, type WorkerRow } from './pg-rows.js';
import * as runs from './pg-runs.js';

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

/** An error thrown by a caller's callback (not by the database: the transaction is still good). */
class CallbackError extends Error {
  constructor(readonly error: unknown) {
    super('callback failed');
  }
}

function guarded<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
  return (...args) => {
    try {
      return fn(...args);
    } catch (error) {
      throw new CallbackError(error);
    }
  };
}

interface JobState {
  worker: string;
  mirror: string;
  exists: boolean;
  status: MirrorStatus | undefined;
  dirty: boolean;
}

const keyOf = (worker: string, mirror: string) => `${worker}\u0000${mirror}`;

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

/** `unnest` of one array parameter per status column, with the change text last. */
function unnestStatuses(list: JobState[]): { from: string; params: unknown[] } {
  const columns = STATUS_TYPES.map((_, i) => list.map((j) => statusValues(j.status!)[i]));
  const params = [...columns, list.map((j) => changeText({ kind: 'status', worker: j.worker, mirror: j.mirror }))];
  const from = `unnest(${STATUS_TYPES.map((t, i) => `$${i + 1}::${t}[]`).join(', ')}, $${STATUS_TYPES.length + 1}::text[]) AS v(${STATUS_COLUMNS}, change)`;
  return { from, params };
}

/** Round trip 2: the changed jobs' final statuses; returns the keys of new jobs another transaction inserted first. */
async function writeStatuses(db: Queryable, jobs: Map<string, JobState>): Promise<Set<string>> {
  const changed = [...jobs.values()].filter((j) => j.dirty);
  const old = changed.filter((j) => j.exists);
  const fresh = changed.filter((j) => !j.exists);
  if (old.length > 0) {
    const { from, params } = unnestStatuses(old);
    await db.query(
      `UPDATE mirror_status m SET is_master = v.is_master, status = v.status, last_update = v.last_update, last_started = v.last_started,
         last_ended = v.last_ended, next_schedule = v.next_schedule, upstream = v.upstream, size = v.size, error_msg = v.error_msg
       FROM ${from} WHERE m.worker = v.worker AND m.name = v.name RETURNING pg_notify('${CHANGE_CHANNEL}', v.change)`,
      params,
    );
  }
  const lost = new Set<string>();
  if (fresh.length > 0) {
    const { from, params } = unnestStatuses(fresh);
    const { rows } = await db.query<{ worker: string; name: string }>(
      `INSERT INTO mirror_status (${STATUS_COLUMNS}) SELECT ${STATUS_COLUMNS} FROM ${from}
       ON CONFLICT (worker, name) DO NOTHING RETURNING worker, name`,
      params,
    );
    const inserted = new Set(rows.map((r) => keyOf(r.worker, r.name)));
    for (const j of fresh) if (!inserted.has(keyOf(j.worker, j.mirror))) lost.add(keyOf(j.worker, j.mirror));
    // Announced once inserted (a lost job is announced by its merge below).
    const announced = fresh.filter((j) => inserted.has(keyOf(j.worker, j.mirror)));
    if (announced.length > 0) {
      await db.query(`SELECT pg_notify('${CHANGE_CHANNEL}', c) FROM unnest($1::text[]) AS c`, [
        announced.map((j) => changeText({ kind: 'status', worker: j.worker, mirror: j.mirror })),
      ]);
    }
  }
  return lost;
}

/** Round trip 4: each refreshed worker's `last_online` (the last refresh asked for), in key order, and COMMIT. */
async function refreshAndCommit(db: Queryable, refreshes: Map<string, number>, begun: boolean): Promise<Map<string, WorkerStatus | undefined>> {
  const ids = [...refreshes.keys()].sort();
  const sql = ids.map((id) => `UPDATE workers SET last_online = ${refreshes.get(id)!} WHERE id = ${escapeLiteral(id)} RETURNING *; `).join('');
  const raw = (await db.query(`${begun ? '' : 'BEGIN; '}${sql}COMMIT`)) as unknown as pg.QueryResult | pg.QueryResult[];
  const results = Array.isArray(raw) ? raw : [raw];
  const offset = begun ? 0 : 1;
  return new Map(ids.map((id, i) => {
    const row = results[offset + i]!.rows[0] as WorkerRow | undefined;
    return [id, row ? toWorker(row) : undefined];
  }));
}

/**
 * Applies `writes` in one transaction on `db` (BEGIN and COMMIT included);
 * returns each write's outcome, in order. Throws on a database error (the
 * caller rolls back).
 */
export async function applyBatch(db: Queryable, writes: readonly BatchWrite[]): Promise<BatchOutcome[]> {
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
  const lost = await writeStatuses(db, jobs);
  // Round trip 3: every run step, in report order.
  await runs.applyRunSteps(
    db,
    steps.filter(({ job }) => !lost.has(keyOf(job.worker, job.mirror))).map(({ job, step }) => ({ worker: job.worker, mirror: job.mirror, step })),
  );
  // New jobs another manager inserted first: merge each report into theirs, as on its own.
  for (let index = 0; index < writes.length; index++) {
    const w = writes[index]!;
    if (w.kind !== 'status' || !lost.has(keyOf(w.worker, w.mirror))) continue;
    try {
      outcomes[index] = { ok: true, value: await mergeStatus(db, w.worker, w.mirror, guarded(w.update), w.run && guarded(w.run), false) };
    } catch (err) {
      if (!(err instanceof CallbackError)) throw err;
      outcomes[index] = { ok: false, error: err.error };
    }
  }
  const workers = await refreshAndCommit(db, refreshes, jobs.size > 0);
  writes.forEach((w, index) => {
    if (w.kind === 'refresh') outcomes[index] = { ok: true, value: workers.get(w.worker) };
  });
  return outcomes;
}
