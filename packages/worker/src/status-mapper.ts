/**
 * Job events to the MirrorStatus the managers store: the one place that
 * decides what a report says (tunasync's fields; times are set by the
 * manager, `next_schedule` comes from the job's schedule).
 */
import { emptyMirrorStatus, zeroTime, type MirrorConfig, type MirrorStatus } from '@tunasync/core';
import type { JobStatusEvent } from './mirror-job.js';

/** The status report for job event `e` of `mirror` on worker `worker`. */
export function mirrorStatusOf(e: JobStatusEvent, mirror: MirrorConfig, worker: string, nextSchedule: Date | undefined): MirrorStatus {
  return {
    ...emptyMirrorStatus(mirror.name, worker),
    isMaster: mirror.isMaster,
    status: e.status,
    upstream: mirror.upstream,
    size: e.size ?? 'unknown',
    errorMsg: e.errorMsg,
    nextSchedule: nextSchedule ?? zeroTime(),
  };
}
