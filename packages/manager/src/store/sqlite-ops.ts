/**
 * The SQLite store's wave-2 operations tables (issue 16): the durable
 * notification queue, the site's maintenance state and leases. Times are
 * the store's clock (`now`). Every function runs synchronously inside
 * whatever transaction its caller holds.
 */
import type Database from 'better-sqlite3';
import type { MaintenanceState, NotificationOutcome, QueuedNotification } from '@tunasync/core';

/** How long the key of a delivered or dead notification is remembered (so it never fires twice). */
export const NOTIFICATION_KEY_TTL_MS = 30 * 86_400_000;

interface NotificationRow {
  id: number;
  receiver: string;
  dedupe_key: string;
  payload: string;
  created_at: number;
  attempts: number;
  next_attempt_at: number;
  held: number;
  last_error: string | null;
}

function toNotification(r: NotificationRow): QueuedNotification {
  return {
    id: String(r.id),
    receiver: r.receiver,
    dedupeKey: r.dedupe_key,
    payload: r.payload,
    createdAt: new Date(r.created_at),
    attempts: r.attempts,
    nextAttemptAt: new Date(r.next_attempt_at),
    held: r.held !== 0,
    ...(r.last_error !== null ? { lastError: r.last_error } : {}),
  };
}

const COLUMNS = 'id, receiver, dedupe_key, payload, created_at, attempts, next_attempt_at, held, last_error';

function prepare(db: Database.Database) {
  return {
    knownKey: db.prepare<[string], { k: number }>('SELECT 1 AS k FROM notification_keys WHERE dedupe_key = ?'),
    insert: db.prepare<[string, string, string, number, number, number]>(
      `INSERT INTO notifications (receiver, dedupe_key, payload, created_at, next_attempt_at, held)
       VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (dedupe_key) DO NOTHING`,
    ),
    due: db.prepare<[number, number, number], NotificationRow>(
      `SELECT ${COLUMNS} FROM notifications
       WHERE held = 0 AND next_attempt_at <= ? AND claimed_until <= ? ORDER BY next_attempt_at, id LIMIT ?`,
    ),
    claim: db.prepare<[string, number, number, number]>(
      'UPDATE notifications SET claimed_by = ?, claimed_until = ? WHERE id = ? AND claimed_until <= ?',
    ),
    get: db.prepare<[number], NotificationRow>(`SELECT ${COLUMNS} FROM notifications WHERE id = ?`),
    retry: db.prepare<[number, string, number]>(
      'UPDATE notifications SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?, claimed_by = NULL, claimed_until = 0 WHERE id = ?',
    ),
    remove: db.prepare<[number]>('DELETE FROM notifications WHERE id = ?'),
    remember: db.prepare<[string, number]>('INSERT OR REPLACE INTO notification_keys (dedupe_key, done_at) VALUES (?, ?)'),
    forget: db.prepare<[number]>('DELETE FROM notification_keys WHERE done_at < ?'),
    held: db.prepare<[], NotificationRow>(`SELECT ${COLUMNS} FROM notifications WHERE held = 1 ORDER BY created_at, id`),
    removeHeld: db.prepare<[]>('DELETE FROM notifications WHERE held = 1'),
    count: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM notifications'),
    getMaintenance: db.prepare<[], { message: string; since: number; until: number | null }>('SELECT message, since, until FROM maintenance WHERE id = 1'),
    setMaintenance: db.prepare<[string, number, number | null]>(
      'INSERT OR REPLACE INTO maintenance (id, message, since, until) VALUES (1, ?, ?, ?)',
    ),
    clearMaintenance: db.prepare<[]>('DELETE FROM maintenance WHERE id = 1'),
    takeLease: db.prepare<[{ name: string; holder: string; expires: number; now: number }]>(
      `INSERT INTO leases (name, holder, expires_at) VALUES (@name, @holder, @expires)
       ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
       WHERE leases.holder = excluded.holder OR leases.expires_at <= @now`,
    ),
    releaseLease: db.prepare<[string, string]>('DELETE FROM leases WHERE name = ? AND holder = ?'),
  };
}

/** The queue, maintenance and lease statements of one database. */
export class OpsTables {
  private readonly stmt: ReturnType<typeof prepare>;

  constructor(db: Database.Database, private readonly now: () => number) {
    this.stmt = prepare(db);
  }

  /** Queues items whose key is neither queued nor remembered; returns how many went in. */
  enqueue(items: { receiver: string; dedupeKey: string; payload: string; held?: boolean; nextAttemptAt?: Date }[]): number {
    const now = this.now();
    let n = 0;
    for (const it of items) {
      if (this.stmt.knownKey.get(it.dedupeKey)) continue;
      n += this.stmt.insert.run(it.receiver, it.dedupeKey, it.payload, now, it.nextAttemptAt?.getTime() ?? now, it.held ? 1 : 0).changes;
    }
    return n;
  }

  /** Claims up to `limit` due, unheld, unclaimed items for `holder` for `claimMs`. */
  claim(holder: string, limit: number, claimMs: number): QueuedNotification[] {
    const now = this.now();
    const out: QueuedNotification[] = [];
    for (const row of this.stmt.due.all(now, now, limit)) {
      if (this.stmt.claim.run(holder, now + claimMs, row.id, now).changes > 0) out.push(toNotification(row));
    }
    return out;
  }

  /** Applies an attempt's outcome; delivered and dead items leave the queue and their key is remembered. */
  finish(id: string, outcome: NotificationOutcome): void {
    const rowId = Number(id);
    if (!Number.isSafeInteger(rowId)) return;
    if (outcome.kind === 'retry') {
      this.stmt.retry.run(outcome.at.getTime(), outcome.error, rowId);
      return;
    }
    const row = this.stmt.get.get(rowId);
    if (!row) return;
    const now = this.now();
    this.stmt.remove.run(rowId);
    this.stmt.remember.run(row.dedupe_key, now);
    this.stmt.forget.run(now - NOTIFICATION_KEY_TTL_MS);
  }

  /** Removes and returns the held items, oldest first (their keys are remembered). */
  takeHeld(): QueuedNotification[] {
    const rows = this.stmt.held.all();
    if (rows.length === 0) return [];
    const now = this.now();
    this.stmt.removeHeld.run();
    for (const r of rows) this.stmt.remember.run(r.dedupe_key, now);
    return rows.map(toNotification);
  }

  /** Items still queued. */
  count(): number {
    return this.stmt.count.get()!.n;
  }

  /** The maintenance state, undefined when off or past its `until`. */
  getMaintenance(): MaintenanceState | undefined {
    const row = this.stmt.getMaintenance.get();
    if (!row) return undefined;
    if (row.until !== null && row.until <= this.now()) return undefined;
    return { message: row.message, since: new Date(row.since), ...(row.until !== null ? { until: new Date(row.until) } : {}) };
  }

  /** Switches maintenance on, since now. */
  setMaintenance(state: { message: string; until?: Date }): MaintenanceState {
    const since = this.now();
    this.stmt.setMaintenance.run(state.message, since, state.until?.getTime() ?? null);
    return { message: state.message, since: new Date(since), ...(state.until ? { until: new Date(state.until) } : {}) };
  }

  /** Switches maintenance off; false when it was off (or had ended by itself). */
  clearMaintenance(): boolean {
    const on = this.getMaintenance() !== undefined;
    this.stmt.clearMaintenance.run();
    return on;
  }

  /** Takes or renews a lease; true when `holder` holds it afterwards. */
  acquireLease(name: string, holder: string, ttlMs: number): boolean {
    const now = this.now();
    return this.stmt.takeLease.run({ name, holder, expires: now + ttlMs, now }).changes > 0;
  }

  /** Gives a lease up if `holder` holds it. */
  releaseLease(name: string, holder: string): void {
    this.stmt.releaseLease.run(name, holder);
  }
}
