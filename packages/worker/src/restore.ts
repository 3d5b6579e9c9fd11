/**
 * Start-up: the jobs' state and schedules from the first manager's view, as
 * tunasync does it: `disabled` and `paused` jobs stay so and do not run;
 * every other job is scheduled from its `last_update` (at once when it never
 * ran or the time has passed).
 */
import { parseMirrorStatus, type MirrorStatus } from '@tunasync/core';
import type { MirrorJob } from './mirror-job.js';
import type { JobSchedules } from './schedule/job-schedules.js';
import { schedulePolicyFor } from './schedule/policy.js';

/** The manager's statuses by name; malformed entries are ignored (their job starts as new). */
export function storedStatuses(raw: unknown[]): Map<string, MirrorStatus> {
  const out = new Map<string, MirrorStatus>();
  for (const entry of raw) {
    try {
      const s = parseMirrorStatus(entry);
      out.set(s.name, s);
    } catch {
      // ignored: the job then starts as new
    }
  }
  return out;
}

/**
 * Restores paused/disabled jobs and arms every other job's schedule. A job
 * running a sync adopted from the previous worker process is left as it is:
 * its run's end arms its next run.
 */
export function restoreJobs(jobs: Iterable<MirrorJob>, stored: Map<string, MirrorStatus>, schedules: JobSchedules): void {
  for (const job of jobs) {
    const s = stored.get(job.name);
    if (job.running) {
      schedules.track(job.name, schedulePolicyFor(job.mirror), s ? { ended: s.lastUpdate } : {});
      continue;
    }
    if (s?.status === 'disabled' || s?.status === 'paused') {
      job.restoreState(s.status);
      continue;
    }
    schedules.track(job.name, schedulePolicyFor(job.mirror), s ? { ended: s.lastUpdate } : {});
    schedules.arm(job.name);
  }
}
