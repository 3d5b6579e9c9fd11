/**
 * `tunasynctl set-status [-w W] MIRROR success|failed [--at TIME] [--size
 * SIZE] [--message TEXT]`: records a run done outside the worker (synced by
 * hand, from a disk…) through the manager's
 * `POST /workers/:id/jobs/:job/external` (admin token). The status is
 * stamped as a worker's report would stamp it and the history gets a row
 * with trigger `external`; the worker's own next run reports over it.
 * Without `-w`, the only worker that has the mirror.
 */
import { parseRfc3339 } from '@tunasync/core';
import type { ExternalRun, ManagerClient } from '../client.js';
import { UsageError } from '../errors.js';
import type { CtlIO } from '../io.js';
import { workerOf } from '../targets.js';
import { escapeTerminalText } from '../terminal-text.js';

/** Options of set-status. */
export interface SetStatusOptions {
  /** `-w/--worker`; unset: the only worker with the mirror. */
  worker?: string;
  mirror: string;
  /** `success` or `failed`. */
  status: string;
  /** `--at TIME`: RFC 3339, or `YYYY-MM-DD HH:MM[:SS]` in the local zone; default now. */
  at?: string;
  /** `--size SIZE`, e.g. `23.4G`. */
  size?: string;
  /** `--message TEXT`: kept in the history row (and as the error of a failed status). */
  message?: string;
}

const LOCAL_TIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/;

/** Reads `--at`: RFC 3339, or a local `YYYY-MM-DD HH:MM[:SS]`; a UsageError otherwise. */
export function parseAtTime(text: string): Date {
  const local = LOCAL_TIME.exec(text.trim());
  if (local) {
    const [, y, mo, d, h, mi, s] = local.map(Number) as number[];
    const date = new Date(y!, mo! - 1, d!, h!, mi!, Number.isNaN(s) ? 0 : s!);
    if (date.getMonth() === mo! - 1 && date.getDate() === d!) return date;
  } else {
    try {
      return parseRfc3339(text.trim(), '--at');
    } catch {
      // fall through
    }
  }
  throw new UsageError(`--at must be a time such as 2026-11-30T08:00:00Z or "2026-11-30 16:00", not ${JSON.stringify(text)}`);
}

/** Runs set-status. */
export async function setStatusCommand(client: ManagerClient, opts: SetStatusOptions, io: CtlIO): Promise<void> {
  if (opts.status !== 'success' && opts.status !== 'failed') throw new UsageError(`the status must be success or failed, not ${JSON.stringify(opts.status)}`);
  if (!opts.mirror) throw new UsageError('set-status needs the MIRROR');
  if (opts.worker === '') throw new UsageError('-w/--worker must not be empty');
  const run: ExternalRun = {
    status: opts.status,
    ...(opts.at !== undefined ? { at: parseAtTime(opts.at) } : {}),
    ...(opts.size !== undefined ? { size: opts.size } : {}),
    ...(opts.message !== undefined ? { message: opts.message } : {}),
  };
  const worker = opts.worker ?? (await workerOf(client, opts.mirror));
  const answer = await client.recordExternal(worker, opts.mirror, run);
  const at = answer.run?.endedAt ?? answer.job.lastEnded;
  const id = answer.run ? `, history run ${escapeTerminalText(answer.run.runId)}` : '';
  io.out(`${escapeTerminalText(opts.mirror)}: ${opts.status} recorded on ${escapeTerminalText(worker)} at ${at.toISOString()}${id}\n`);
}
