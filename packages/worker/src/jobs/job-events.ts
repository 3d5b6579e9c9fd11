/**
 * Where a job's own events go: its state and runs to the worker's event map,
 * its statuses to the schedule (a final status arms the next run), to the
 * reporter (as MirrorStatus) and to the event map.
 */
import type { MirrorStatus, RunFields } from '@tunasync/core';
import type { WorkerEventEmitter } from '../events.js';
import type { MirrorJob } from '../mirror-job.js';
import type { JobSchedules } from '../schedule/job-schedules.js';
import { mirrorStatusOf, runFieldsOf } from '../status-mapper.js';

/** What wireJobEvents feeds. */
export interface JobEventSinks {
  events: WorkerEventEmitter;
  schedules: JobSchedules;
  /** Queues a status, with the run fields merged into its body, for the managers. */
  reportStatus(status: MirrorStatus, run: RunFields): void;
  /** The worker's name now (it may change on reload). */
  workerName(): string;
}

/** Connects `job`'s events to the worker. */
export function wireJobEvents(job: MirrorJob, sinks: JobEventSinks): void {
  const { events, schedules } = sinks;
  job.on('state', (e) => events.emit('job:state', { mirror: e.job, from: e.from, to: e.to }));
  job.on('status', (e) => {
    // The run's last status while the job is ready: its schedule arms the next run first,
    // so the report carries the new next_schedule.
    if (e.final && job.state === 'ready') schedules.ended(job.name);
    const status = mirrorStatusOf(e, job.mirror, sinks.workerName(), schedules.next(job.name));
    const run = runFieldsOf(e);
    sinks.reportStatus(status, run);
    events.emit('job:status', { mirror: job.name, status, run });
  });
  job.on('run-start', (e) => events.emit('run:start', { runId: e.runId, mirror: e.job, attempt: e.attempt, trigger: e.trigger, logFile: e.logFile, at: e.at }));
  job.on('run-end', (e) =>
    events.emit('run:end', {
      runId: e.runId,
      mirror: e.job,
      attempts: e.attempts,
      trigger: e.trigger,
      durationMs: e.durationMs,
      exitCode: e.exitCode,
      outcome: e.outcome === 'skipped' ? 'skipped' : e.aborted ? 'aborted' : e.outcome,
      ...(e.logFile ? { logFile: e.logFile } : {}),
      ...(e.transferredBytes !== undefined ? { transferredBytes: e.transferredBytes } : {}),
      ...(e.filesTransferred !== undefined ? { filesTransferred: e.filesTransferred } : {}),
      at: e.at,
    }),
  );
}
