/**
 * The manager's bookkeeping rules as pure functions (wire-protocol.md, "Rules
 * the manager applies"), so routes and tests share one definition.
 */
import { emptyMirrorStatus, isZeroTime, type MirrorStatus } from '@tunasync/core';

/** True for a size that says nothing (`""`, `"unknown"`): the stored size is kept. */
export function isUnknownSize(size: string): boolean {
  return size === '' || size === 'unknown';
}

/**
 * The status to store when worker `workerId` reports `reported` for a job
 * whose stored status is `previous`. The manager sets the times from its own
 * clock: `last_started` when the status changes into `pre-syncing`,
 * `last_update` on `success`, `last_ended` on `success` or `failed`; each
 * otherwise keeps its stored value. A size of `""`/`"unknown"` keeps the
 * stored size, and a zero `next_schedule` keeps the stored one (a worker's
 * status report does not carry its schedule; `/schedules` does).
 */
export function applyStatusReport(
  previous: MirrorStatus | undefined,
  reported: MirrorStatus,
  workerId: string,
  now: Date,
): MirrorStatus {
  const prev = previous ?? emptyMirrorStatus(reported.name, workerId);
  const status = reported.status;
  return {
    name: reported.name,
    worker: workerId,
    isMaster: reported.isMaster,
    status,
    lastStarted: status === 'pre-syncing' && prev.status !== 'pre-syncing' ? new Date(now) : prev.lastStarted,
    lastUpdate: status === 'success' ? new Date(now) : prev.lastUpdate,
    lastEnded: status === 'success' || status === 'failed' ? new Date(now) : prev.lastEnded,
    nextSchedule: isZeroTime(reported.nextSchedule) ? prev.nextSchedule : reported.nextSchedule,
    upstream: reported.upstream,
    size: isUnknownSize(reported.size) ? prev.size : reported.size,
    errorMsg: reported.errorMsg,
  };
}

/**
 * The stored status after a report of a run that a guard skipped (our
 * worker's `skipped` run field, issue 18): nothing changes but the message
 * (why it was skipped) and the next schedule; a skipped run is not a
 * failure, and not a success either.
 */
export function applySkippedReport(previous: MirrorStatus | undefined, reported: MirrorStatus, workerId: string): MirrorStatus {
  const prev = previous ?? { ...emptyMirrorStatus(reported.name, workerId), isMaster: reported.isMaster, upstream: reported.upstream };
  return {
    ...prev,
    worker: workerId,
    nextSchedule: isZeroTime(reported.nextSchedule) ? prev.nextSchedule : reported.nextSchedule,
    errorMsg: reported.errorMsg,
  };
}

/**
 * The stored status after set-size. tunasync's check (`len(size) > 0 ||
 * size != "unknown"`) was always true; we keep the stored size for `""` and
 * `"unknown"` as intended.
 */
export function applySizeUpdate(previous: MirrorStatus, size: string): MirrorStatus {
  return { ...previous, size: isUnknownSize(size) ? previous.size : size };
}
