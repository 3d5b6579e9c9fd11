/**
 * The status strings of tunasync's wire protocol and the command verbs.
 * Anything outside these lists is rejected wherever it is parsed.
 */

/** Every status a mirror job can report, in tunasync's spelling. */
export const SYNC_STATUSES = [
  'none',
  'failed',
  'success',
  'syncing',
  'pre-syncing',
  'paused',
  'disabled',
] as const;

/** A mirror job's status as reported on the wire. */
export type SyncStatus = (typeof SYNC_STATUSES)[number];

/** True when `value` is one of the seven status strings. */
export function isSyncStatus(value: unknown): value is SyncStatus {
  return typeof value === 'string' && (SYNC_STATUSES as readonly string[]).includes(value);
}

/** Every command verb a client may send (and the manager forwards to a worker). */
export const COMMAND_VERBS = ['start', 'stop', 'disable', 'restart', 'ping', 'reload'] as const;

/** A command verb of ClientCmd / WorkerCmd. */
export type CommandVerb = (typeof COMMAND_VERBS)[number];

/** True when `value` is a known command verb. */
export function isCommandVerb(value: unknown): value is CommandVerb {
  return typeof value === 'string' && (COMMAND_VERBS as readonly string[]).includes(value);
}
