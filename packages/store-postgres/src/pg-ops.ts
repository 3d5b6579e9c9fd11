/**
 * Wave-2 parts of the PostgreSQL store (core store-ops.ts): job stats and
 * metadata, the durable notification queue, maintenance state and leases.
 * Every time these write is the database's clock (`now()`), so managers on
 * one database never disagree about a lease or a due notification.
 */
import type {
  JobMeta,
  JobStats,
  MaintenanceState,
  NotificationOutcome,
  QueuedNotification,
  RunResult,
} from '@tunasync/core';
import type { Queryable } from './pg-pool.js';

/** The database's clock in milliseconds, as SQL. */
export const NOW_MS = '(extract(epoch from now()) * 1000)::bigint';

interface StatsRow {
  worker: string;
  mirror: string;
  runs_total: number;
  failures_total: number;
  consecutive_failures: number;
  transferred_bytes_total: number;
  last_result: string | null;
  last_duration_s: number | null;
  last_transferred_bytes: number | null;
}

function toStats(r: StatsRow): JobStats {
  const s: JobStats = {
    worker: r.worker,
    mirror: r.mirror,
    runsTotal: r.runs_total,
    failuresTotal: r.failures_total,
    consecutiveFailures: r.consecutive_failures,
    transferredBytesTotal: r.transferred_bytes_total,
  };
  if (r.last_result !== null) s.lastResult = r.last_result as RunResult;
  if (r.last_duration_s !== null) s.lastDurationS = r.last_duration_s;
  if (r.last_transferred_bytes !== null) s.lastTransferredBytes = r.last_transferred_bytes;
  return s;
}

/** Every job's stats, ordered by worker then mirror. */
export async function listJobStats(db: Queryable): Promise<JobStats[]> {
  return (await db.query<StatsRow>('SELECT * FROM job_stats ORDER BY worker, mirror')).rows.map(toStats);
}

/** One job's stats (zeros when it has none). */
export async function getJobStats(db: Queryable, worker: string, mirror: string): Promise<JobStats> {
  const row = (await db.query<StatsRow>('SELECT * FROM job_stats WHERE worker = $1 AND mirror = $2', [worker, mirror])).rows[0];
  return row ? toStats(row) : { worker, mirror, runsTotal: 0, failuresTotal: 0, consecutiveFailures: 0, transferredBytesTotal: 0 };
}

/** Replaces the metadata of each named job of a worker (one statement); returns the jobs whose metadata changed. */
export async function setJobMeta(db: Queryable, worker: string, metas: Omit<JobMeta, 'worker'>[]): Promise<string[]> {
  if (metas.length === 0) return [];
  const { rows } = await db.query<{ mirror: string }>(
    `INSERT INTO job_meta AS j (worker, mirror, stale_after_s, interval_s)
     SELECT $1, m, s, i FROM unnest($2::text[], $3::double precision[], $4::double precision[]) AS t(m, s, i)
     ON CONFLICT (worker, mirror) DO UPDATE SET stale_after_s = excluded.stale_after_s, interval_s = excluded.interval_s
     WHERE j.stale_after_s IS DISTINCT FROM excluded.stale_after_s OR j.interval_s IS DISTINCT FROM excluded.interval_s
     RETURNING mirror`,
    [worker, metas.map((m) => m.mirror), metas.map((m) => m.staleAfterS ?? null), metas.map((m) => m.intervalS ?? null)],
  );
  return rows.map((r) => r.mirror);
}

type MetaRow = { worker: string; mirror: string; stale_after_s: number | null; interval_s: number | null };

function toMeta(r: MetaRow): JobMeta {
  const m: JobMeta = { worker: r.worker, mirror: r.mirror };
  if (r.stale_after_s !== null) m.staleAfterS = r.stale_after_s;
  if (r.interval_s !== null) m.intervalS = r.interval_s;
  return m;
}

/** Every job's metadata, ordered by worker then mirror. */
export async function listJobMeta(db: Queryable): Promise<JobMeta[]> {
  const { rows } = await db.query<MetaRow>('SELECT worker, mirror, stale_after_s, interval_s FROM job_meta ORDER BY worker, mirror');
  return rows.map(toMeta);
}

/** One job's metadata, or undefined. */
export async function getJobMeta(db: Queryable, worker: string, mirror: string): Promise<JobMeta | undefined> {
  const { rows } = await db.query<MetaRow>('SELECT worker, mirror, stale_after_s, interval_s FROM job_meta WHERE worker = $1 AND mirror = $2', [worker, mirror]);
  return rows[0] ? toMeta(rows[0]) : undefined;
}

interface NotificationRow {
  id: number;
  receiver: string;
  dedupe_key: string;
  payload: string;
  created_at: number;
  attempts: number;
  next_attempt_at: number;
  held: boolean;
  last_error: string | null;
}

function toNotification(r: NotificationRow): QueuedNotification {
  const n: QueuedNotification = {
    id: String(r.id),
    receiver: r.receiver,
    dedupeKey: r.dedupe_key,
    payload: r.payload,
    createdAt: new Date(r.created_at),
    attempts: r.attempts,
    nextAttemptAt: new Date(r.next_attempt_at),
    held: r.held,
  };
  if (r.last_error !== null) n.lastError = r.last_error;
  return n;
}

const byAge = (a: NotificationRow, b: NotificationRow) => a.created_at - b.created_at || a.id - b.id;

/** Queues events, skipping keys queued or delivered before; returns how many were new. */
export async function enqueueNotifications(
  db: Queryable,
  items: { receiver: string; dedupeKey: string; payload: string; held?: boolean; nextAttemptAt?: Date }[],
): Promise<number> {
  if (items.length === 0) return 0;
  const { rowCount } = await db.query(
    `INSERT INTO notifications (receiver, dedupe_key, payload, held, next_attempt_at, created_at)
     SELECT r, k, p, h, COALESCE(n, ${NOW_MS}), ${NOW_MS}
     FROM unnest($1::text[], $2::text[], $3::text[], $4::boolean[], $5::bigint[]) WITH ORDINALITY AS t(r, k, p, h, n, o)
     ORDER BY o
     ON CONFLICT (dedupe_key) DO NOTHING`,
    [
      items.map((i) => i.receiver),
      items.map((i) => i.dedupeKey),
      items.map((i) => i.payload),
      items.map((i) => i.held ?? false),
      items.map((i) => i.nextAttemptAt?.getTime() ?? null),
    ],
  );
  return rowCount ?? 0;
}

/** Claims up to `limit` due items for `holder` (rows another claimer holds are skipped, not waited for). */
export async function claimNotifications(db: Queryable, holder: string, limit: number, claimMs: number): Promise<QueuedNotification[]> {
  const { rows } = await db.query<NotificationRow>(
    `UPDATE notifications SET claimed_by = $1, claimed_until = ${NOW_MS} + $3::bigint
     WHERE id IN (
       SELECT id FROM notifications
       WHERE NOT done AND NOT held AND next_attempt_at <= ${NOW_MS} AND (claimed_until IS NULL OR claimed_until <= ${NOW_MS})
       ORDER BY created_at, id LIMIT $2 FOR UPDATE SKIP LOCKED)
     RETURNING *`,
    [holder, Math.max(0, Math.floor(limit)), Math.max(0, Math.round(claimMs))],
  );
  return rows.sort(byAge).map(toNotification);
}

/** Records an attempt: delivered and dead leave the queue (the key stays remembered). */
export async function finishNotification(db: Queryable, id: string, outcome: NotificationOutcome): Promise<void> {
  if (!/^\d+$/.test(id)) return;
  if (outcome.kind === 'retry') {
    await db.query(
      `UPDATE notifications SET attempts = attempts + 1, next_attempt_at = $2, last_error = $3, claimed_by = NULL, claimed_until = NULL
       WHERE id = $1 AND NOT done`,
      [id, outcome.at.getTime(), outcome.error],
    );
    return;
  }
  await db.query(
    `UPDATE notifications SET attempts = attempts + 1, done = true, last_error = $2, claimed_by = NULL, claimed_until = NULL
     WHERE id = $1 AND NOT done`,
    [id, outcome.kind === 'dead' ? outcome.error : null],
  );
}

/** Removes and returns every held item, oldest first. */
export async function takeHeldNotifications(db: Queryable): Promise<QueuedNotification[]> {
  const { rows } = await db.query<NotificationRow>('UPDATE notifications SET done = true WHERE held AND NOT done RETURNING *');
  return rows.sort(byAge).map(toNotification);
}

/** Items still queued (held or not). */
export async function countNotifications(db: Queryable): Promise<number> {
  return (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM notifications WHERE NOT done')).rows[0]!.n;
}

interface MaintenanceRow {
  message: string;
  since: number;
  until: number | null;
}

function toMaintenance(r: MaintenanceRow): MaintenanceState {
  const m: MaintenanceState = { message: r.message, since: new Date(r.since) };
  if (r.until !== null) m.until = new Date(r.until);
  return m;
}

/** The current maintenance state, undefined when off or expired. */
export async function getMaintenance(db: Queryable): Promise<MaintenanceState | undefined> {
  const { rows } = await db.query<MaintenanceRow>(
    `SELECT message, since, until FROM maintenance WHERE id = 1 AND (until IS NULL OR until > ${NOW_MS})`,
  );
  return rows[0] ? toMaintenance(rows[0]) : undefined;
}

/** Switches maintenance on, `since` = the database's now. */
export async function setMaintenance(db: Queryable, state: { message: string; until?: Date }): Promise<MaintenanceState> {
  const { rows } = await db.query<MaintenanceRow>(
    `INSERT INTO maintenance (id, message, since, until) VALUES (1, $1, ${NOW_MS}, $2)
     ON CONFLICT (id) DO UPDATE SET message = excluded.message, since = excluded.since, until = excluded.until
     RETURNING message, since, until`,
    [state.message, state.until?.getTime() ?? null],
  );
  return toMaintenance(rows[0]!);
}

/** Switches maintenance off; false when it was off (an expired state counts as off). */
export async function clearMaintenance(db: Queryable): Promise<boolean> {
  const { rows } = await db.query<{ on: boolean }>(
    `WITH d AS (DELETE FROM maintenance RETURNING until) SELECT coalesce(bool_or(until IS NULL OR until > ${NOW_MS}), false) AS on FROM d`,
  );
  return rows[0]?.on ?? false;
}

/** Takes or renews lease `name` for `holder` (database clock); true when it holds it afterwards. */
export async function acquireLease(db: Queryable, name: string, holder: string, ttlMs: number): Promise<boolean> {
  const { rows } = await db.query(
    `INSERT INTO leases AS l (name, holder, expires_at) VALUES ($1, $2, ${NOW_MS} + $3::bigint)
     ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
     WHERE l.holder = excluded.holder OR l.expires_at <= ${NOW_MS}
     RETURNING holder`,
    [name, holder, Math.max(0, Math.round(ttlMs))],
  );
  return rows.length === 1;
}

/** Gives lease `name` up if `holder` holds it. */
export async function releaseLease(db: Queryable, name: string, holder: string): Promise<void> {
  await db.query('DELETE FROM leases WHERE name = $1 AND holder = $2', [name, holder]);
}
