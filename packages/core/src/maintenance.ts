/**
 * Maintenance mode on the wire (issue 16): what `GET /maintenance` answers
 * and what the heartbeat answer carries, shared by manager, worker and ctl.
 * Times are RFC 3339 strings.
 */
import { ValidationError } from './errors.js';
import type { MaintenanceState } from './store-ops.js';

/** Maintenance state as JSON. */
export interface MaintenanceJSON {
  /** Whether maintenance mode is on. */
  enabled: boolean;
  message?: string;
  since?: string;
  until?: string;
}

/** The JSON of a state (`{"enabled": false}` when off). */
export function serializeMaintenance(state: MaintenanceState | undefined): MaintenanceJSON {
  if (!state) return { enabled: false };
  return {
    enabled: true,
    message: state.message,
    since: state.since.toISOString(),
    ...(state.until ? { until: state.until.toISOString() } : {}),
  };
}

/** Reads a MaintenanceJSON (lenient: anything not saying `enabled: true` is off). */
export function parseMaintenance(body: unknown): MaintenanceState | undefined {
  const b = (body !== null && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  if (b.enabled !== true) return undefined;
  const since = typeof b.since === 'string' ? new Date(b.since) : new Date(0);
  const until = typeof b.until === 'string' ? new Date(b.until) : undefined;
  return {
    message: typeof b.message === 'string' ? b.message : '',
    since: Number.isNaN(since.getTime()) ? new Date(0) : since,
    ...(until && !Number.isNaN(until.getTime()) ? { until } : {}),
  };
}

/** Longest maintenance message kept, in characters. */
export const MAX_MAINTENANCE_MESSAGE = 1000;

/** Validates a `POST /maintenance` body (`message` required, `until` an RFC 3339 time in the future of `now`). */
export function parseMaintenanceRequest(body: unknown, now: Date): { message: string; until?: Date } {
  const b = (body !== null && typeof body === 'object' && !Array.isArray(body) ? body : undefined) as Record<string, unknown> | undefined;
  if (!b) throw new ValidationError('the body must be a JSON object {"message": "...", "until": "RFC 3339"?}', '');
  if (typeof b.message !== 'string' || b.message.trim() === '') throw new ValidationError('message: a non-empty string is required', 'message');
  if (b.message.length > MAX_MAINTENANCE_MESSAGE) throw new ValidationError(`message: longer than ${MAX_MAINTENANCE_MESSAGE} characters`, 'message');
  if (b.until === undefined || b.until === null) return { message: b.message };
  const until = typeof b.until === 'string' && /^\d{4}-\d\d-\d\dT/.test(b.until) ? new Date(b.until) : undefined;
  if (!until || Number.isNaN(until.getTime())) throw new ValidationError('until: an RFC 3339 time is required (e.g. "2026-12-01T06:00:00Z")', 'until');
  if (until.getTime() <= now.getTime()) throw new ValidationError('until: is not in the future', 'until');
  return { message: b.message, until };
}

/** Default worker.conf `[manager] heartbeat_interval`, in seconds. */
export const DEFAULT_HEARTBEAT_INTERVAL_S = 60;
/** Intervals of silence after which a worker counts as offline. */
export const OFFLINE_AFTER_INTERVALS = 3;
