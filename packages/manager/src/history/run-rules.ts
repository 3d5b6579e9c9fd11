/**
 * What a status report does to the run history (issue 14), as a pure
 * function: the manager's POST route and `/cmd` hand its RunHistoryStep to the
 * store, which applies it in the status update's transaction.
 *
 * With run fields (our worker: `run_id` present): `pre-syncing`, `syncing`
 * and a non-final `failed` keep run `run_id` open (raising its attempts);
 * `success`, or a `failed` with `final: true`, closes it.
 * Without them (tunasync's worker): `pre-syncing` starts a run (a repeated
 * `pre-syncing` does not), a `syncing` with no run open starts one (the next
 * try after a `failed`), and each `success` or `failed` closes one row, with
 * a synthesised run id and trigger `schedule`.
 * Either way `paused`/`disabled` (a `/cmd stop|disable`, or a worker's
 * report) closes the open run as `aborted`, as does a new run's start.
 */
import { randomBytes } from 'node:crypto';
import type { MirrorStatus, RunFields, RunHistoryStep } from '@tunasync/core';

/** Makes a run id for a report that carries none. */
export type RunIdSource = () => string;

/** Synthesised run ids: the time in base 36, then 40 random bits (unique across managers, roughly time-ordered). */
export const randomRunId: RunIdSource = () => `${Date.now().toString(36)}-${randomBytes(5).toString('hex')}`;

/**
 * The history step of a status report: `previous` and `next` are the stored
 * statuses before and after it, `fields` its run fields (undefined for
 * tunasync's worker), `now` the manager's clock.
 */
export function runStepOf(
  previous: MirrorStatus | undefined,
  next: MirrorStatus,
  fields: RunFields | undefined,
  now: Date,
  newId: RunIdSource = randomRunId,
): RunHistoryStep | undefined {
  const status = next.status;
  if (fields?.skipped) {
    // A run a guard skipped (issue 18): one closed row, whatever the (unchanged) status says.
    return {
      kind: 'close',
      runId: fields.runId,
      matchOpen: false,
      at: now,
      result: 'skipped',
      trigger: fields.trigger ?? 'schedule',
      durationS: fields.durationS ?? 0,
      errorMsg: next.errorMsg,
      size: next.size,
    };
  }
  if (status === 'paused' || status === 'disabled') return { kind: 'abort', at: now };
  if (status === 'none') return undefined;
  const ends = status === 'success' || (status === 'failed' && (fields === undefined || fields.final === true));
  if (ends) {
    return {
      kind: 'close',
      runId: fields?.runId ?? newId(),
      matchOpen: fields === undefined,
      at: now,
      result: status,
      trigger: fields?.trigger ?? 'schedule',
      ...(fields?.attempt !== undefined ? { attempt: fields.attempt } : {}),
      ...(fields?.exitCode !== undefined ? { exitCode: fields.exitCode } : {}),
      ...(fields?.durationS !== undefined ? { durationS: fields.durationS } : {}),
      ...(fields?.transferredBytes !== undefined ? { transferredBytes: fields.transferredBytes } : {}),
      ...(fields?.filesTransferred !== undefined ? { filesTransferred: fields.filesTransferred } : {}),
      ...(fields?.logFile !== undefined ? { logFile: fields.logFile } : {}),
      errorMsg: next.errorMsg,
      size: next.size,
    };
  }
  if (fields !== undefined) {
    return { kind: 'open', runId: fields.runId, at: now, trigger: fields.trigger ?? 'schedule', attempt: fields.attempt ?? 1 };
  }
  if (status === 'pre-syncing') {
    if (previous?.status === 'pre-syncing') return undefined;
    return { kind: 'open', runId: newId(), at: now, trigger: 'schedule', attempt: 1, isNew: true };
  }
  if (status === 'syncing') return { kind: 'open', runId: newId(), at: now, trigger: 'schedule', attempt: 1, onlyIfNoneOpen: true, isNew: true };
  return undefined;
}

/** Whether a step ends a run (so retention may have work). */
export function stepEndsRun(step: RunHistoryStep | undefined): boolean {
  return step !== undefined && step.kind !== 'open';
}
