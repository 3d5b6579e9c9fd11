/**
 * Rows of the PostgreSQL store's `workers` and `mirror_status` tables and
 * their conversions, shared by the store, its single-report merge and its
 * group commit; and the SQL literal escaping of the report path (which sends
 * several statements in one round trip, so it cannot use parameters).
 */
import pg from 'pg';
import type { MirrorStatus, SyncStatus, WorkerStatus } from '@tunasync/core';

/** A `workers` row. */
export interface WorkerRow {
  id: string;
  url: string;
  token: string;
  last_online: number;
  last_register: number;
}

/** A `mirror_status` row. */
export interface StatusRow {
  worker: string;
  name: string;
  is_master: boolean;
  status: string;
  last_update: number;
  last_started: number;
  last_ended: number;
  next_schedule: number;
  upstream: string;
  size: string;
  error_msg: string;
}

/**
 * A string as an SQL literal, by node-postgres's own `escapeLiteral` (quotes
 * doubled; with a backslash, an E'' string with backslashes doubled: right
 * whatever standard_conforming_strings is). PostgreSQL text cannot hold NUL.
 */
export function escapeLiteral(text: string): string {
  if (text.includes('\0')) throw new Error('names must not contain NUL');
  return pg.escapeLiteral(text);
}

/** A worker row as core's WorkerStatus. */
export const toWorker = (r: WorkerRow): WorkerStatus => ({
  id: r.id,
  url: r.url,
  token: r.token,
  lastOnline: new Date(r.last_online),
  lastRegister: new Date(r.last_register),
});

/** A status row as core's MirrorStatus. */
export const toStatus = (r: StatusRow): MirrorStatus => ({
  name: r.name,
  worker: r.worker,
  isMaster: r.is_master,
  status: r.status as SyncStatus,
  lastUpdate: new Date(r.last_update),
  lastStarted: new Date(r.last_started),
  lastEnded: new Date(r.last_ended),
  nextSchedule: new Date(r.next_schedule),
  upstream: r.upstream,
  size: r.size,
  errorMsg: r.error_msg,
});

/** What an update computed, as stored: the job's own key and fresh Date objects. */
export const storedStatus = (next: MirrorStatus, worker: string, name: string): MirrorStatus => ({
  ...next,
  worker,
  name,
  lastUpdate: new Date(next.lastUpdate),
  lastStarted: new Date(next.lastStarted),
  lastEnded: new Date(next.lastEnded),
  nextSchedule: new Date(next.nextSchedule),
});

/** A status's values in STATUS_COLUMNS order. */
export const statusValues = (s: MirrorStatus): unknown[] => [
  s.worker, s.name, s.isMaster, s.status, s.lastUpdate.getTime(), s.lastStarted.getTime(), s.lastEnded.getTime(),
  s.nextSchedule.getTime(), s.upstream, s.size, s.errorMsg,
];

/** The columns of `mirror_status`, in statusValues order. */
export const STATUS_COLUMNS = 'worker, name, is_master, status, last_update, last_started, last_ended, next_schedule, upstream, size, error_msg';
/** Their SQL types, in the same order (for `unnest` of arrays). */
export const STATUS_TYPES = ['text', 'text', 'boolean', 'text', 'bigint', 'bigint', 'bigint', 'bigint', 'text', 'text', 'text'] as const;
