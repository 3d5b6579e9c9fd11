/**
 * `tunasynctl maintenance on|off|status [-M|--message MESSAGE] [--until TIME]`:
 * the manager's maintenance mode (issue 16; `-m` stays tunasynctl's
 * `--manager`). `on` needs the message; `--until` is an
 * RFC 3339 time or a duration from now (`90m`, `2h`, `1d`). Prints one line
 * (`-o json`: the manager's answer). Against tunasync's manager: a one-line
 * message and exit 1.
 */
import { parseAge, parseMaintenance } from '@tunasync/core';
import type { ManagerClient } from '../client.js';
import { UsageError } from '../errors.js';
import type { CtlIO } from '../io.js';
import { escapeTerminalText } from '../terminal-text.js';

/** The actions of the command. */
export const MAINTENANCE_ACTIONS = ['on', 'off', 'status'] as const;

/** Options of the maintenance command. */
export interface MaintenanceOptions {
  action: string;
  message?: string;
  until?: string;
  /** `-o json`: the manager's answer as sent. */
  json?: boolean;
}

/** `--until` as an RFC 3339 time: given as one, or `now` plus a duration. */
export function untilTime(text: string, now: Date): string {
  const age = parseAge(text);
  if (age !== undefined) return new Date(now.getTime() + age * 1000).toISOString();
  if (/^\d{4}-\d\d-\d\dT/.test(text) && !Number.isNaN(Date.parse(text))) return new Date(text).toISOString();
  throw new UsageError(`--until ${JSON.stringify(text)} is neither an RFC 3339 time (2026-12-01T06:00:00Z) nor a duration (90m, 2h, 1d)`);
}

/** One line about the state. */
export function maintenanceLine(body: unknown): string {
  const state = parseMaintenance(body);
  if (!state) return 'maintenance mode is off\n';
  const until = state.until ? ` until ${state.until.toISOString()}` : '';
  return `maintenance mode is on since ${state.since.toISOString()}${until}: ${escapeTerminalText(state.message)}\n`;
}

/** Runs `maintenance`. */
export async function maintenanceCommand(client: ManagerClient, opts: MaintenanceOptions, io: CtlIO): Promise<void> {
  let body: unknown;
  if (opts.action === 'on') {
    if (!opts.message) throw new UsageError('maintenance on needs a message: --message MESSAGE (-M)');
    body = await client.maintenance('POST', { message: opts.message, ...(opts.until ? { until: untilTime(opts.until, io.now()) } : {}) });
  } else if (opts.action === 'off' || opts.action === 'status') {
    if (opts.message !== undefined || opts.until !== undefined) throw new UsageError(`--message and --until go with maintenance on, not ${opts.action}`);
    body = await client.maintenance(opts.action === 'off' ? 'DELETE' : 'GET');
  } else {
    throw new UsageError(`maintenance needs on, off or status, not ${JSON.stringify(opts.action)}`);
  }
  io.out(opts.json ? `${JSON.stringify(body, null, 2)}\n` : maintenanceLine(body));
}
