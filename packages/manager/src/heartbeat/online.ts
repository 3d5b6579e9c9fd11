/**
 * When a worker counts as online: heard from (registration, heartbeat or
 * status report, all of which set `last_online`) within the last three
 * heartbeat intervals. For `/metrics`, the status page and the offline
 * alert; `GET /workers` is unchanged.
 */
import { DEFAULT_HEARTBEAT_INTERVAL_S, OFFLINE_AFTER_INTERVALS, type WorkerStatus } from '@tunasync/core';

/** Whether `worker` was heard from within `OFFLINE_AFTER_INTERVALS` × `intervalS` seconds before `now`. */
export function workerOnline(worker: Pick<WorkerStatus, 'lastOnline'>, now: Date, intervalS: number = DEFAULT_HEARTBEAT_INTERVAL_S): boolean {
  return now.getTime() - worker.lastOnline.getTime() <= OFFLINE_AFTER_INTERVALS * intervalS * 1000;
}
