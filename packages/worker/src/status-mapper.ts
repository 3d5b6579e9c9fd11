/**
 * Job events to what the managers get: the one place that decides what a
 * report says. The MirrorStatus is tunasync's (times are set by the
 * manager, `next_schedule` comes from the job's schedule); the run fields
 * (core's RunFields, wave2.md § Runs) are merged into the same body by our
 * worker and ignored by tunasync's manager.
 */
import { basename } from 'node:path';
import { MAX_NAME_BYTES, emptyMirrorStatus, zeroTime, type MirrorConfig, type MirrorStatus, type RunFields } from '@tunasync/core';
import type { JobStatusEvent } from './mirror-job.js';

/** The status report for job event `e` of `mirror` on worker `worker`. */
export function mirrorStatusOf(e: JobStatusEvent, mirror: MirrorConfig, worker: string, nextSchedule: Date | undefined): MirrorStatus {
  return {
    ...emptyMirrorStatus(mirror.name, worker),
    isMaster: mirror.isMaster,
    status: e.status,
    upstream: e.upstream ?? mirror.upstream,
    size: e.size ?? 'unknown',
    errorMsg: e.errorMsg,
    nextSchedule: nextSchedule ?? zeroTime(),
  };
}

/**
 * The run fields of job event `e`: `run_id`, `attempt`, `final` and
 * `trigger` on every report; on the final one also `exit_code` (absent when
 * no command exited), `duration_s` (milliseconds kept), the transfer counts
 * its log gave, and `log_file` (name only: directories stay on the worker;
 * left out when longer than a manager accepts, which would refuse the whole
 * report: a mirror name near the 255-byte limit plus the log's date).
 */
export function runFieldsOf(e: JobStatusEvent): RunFields {
  const out: RunFields = { runId: e.runId, attempt: e.attempt, final: e.final, trigger: e.trigger, ...(e.skipped ? { skipped: true } : {}) };
  const s = e.final ? e.summary : undefined;
  if (!s) return out;
  if (s.exitCode !== null) out.exitCode = s.exitCode;
  out.durationS = Math.round(s.durationMs) / 1000;
  if (s.transferredBytes !== undefined) out.transferredBytes = s.transferredBytes;
  if (s.filesTransferred !== undefined) out.filesTransferred = s.filesTransferred;
  const logFile = s.logFile ? basename(s.logFile) : '';
  if (logFile && Buffer.byteLength(logFile, 'utf8') <= MAX_NAME_BYTES) out.logFile = logFile;
  return out;
}
