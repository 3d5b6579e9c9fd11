/**
 * The worker's typed event map, one for the whole daemon (in the spirit of
 * graphile-worker's `WorkerEvents`): job states, runs, statuses, schedules
 * and report delivery. Metrics, run history and live logs listen here
 * instead of reaching into the jobs or the reporter.
 */
import { EventEmitter } from 'node:events';
import type { JobState, MirrorStatus, RunFields, RunTrigger } from '@tunasync/core';
import type { DeadLetterEvent, OutboxDepthEvent, ReportRefusedEvent, ReporterEvents, ReportSentEvent } from './reporter-events.js';

/** How a run came about (wave 2's `trigger`; core's type, the worker never uses `external`). */
export type { RunTrigger };

/** How a run ended: `skipped` never got a concurrency slot; `aborted` was stopped, disabled, restarted or halted. */
export type RunOutcome = 'success' | 'failed' | 'skipped' | 'aborted';

/** `job:state`: a job's control state changed. */
export interface JobStateChange {
  mirror: string;
  from: JobState;
  to: JobState;
}

/** `run:start`: a try of a run began (emitted for each try, after the pre-job hooks). */
export interface RunStartEvent {
  /** The run's id, the same for each of its tries. */
  runId: string;
  mirror: string;
  /** The try, from 1. */
  attempt: number;
  trigger: RunTrigger;
  /** This try's log file. */
  logFile: string;
  at: Date;
}

/** `run:end`: a run ended (once per run, after its last try). */
export interface RunEndEvent {
  runId: string;
  mirror: string;
  /** Tries made (0 when skipped). */
  attempts: number;
  trigger: RunTrigger;
  durationMs: number;
  /** The exit code of the run's last provider command; null when none ran or it was killed by a signal. */
  exitCode: number | null;
  outcome: RunOutcome;
  /** The last try's log file (absent when no try began). */
  logFile?: string;
  /** Bytes the last try transferred (rsync's `--stats`, or a command's `transferred_pattern`). */
  transferredBytes?: number;
  /** Regular files the last try transferred (rsync's `--stats`). */
  filesTransferred?: number;
  at: Date;
}

/** `job:status`: a status was queued for the managers. */
export interface JobStatusReport {
  mirror: string;
  status: MirrorStatus;
  /** The run fields added to the report (wave2.md § Runs). */
  run: RunFields;
}

/** `schedule`: a job's next run was set (as reported to the managers). */
export interface ScheduleChange {
  mirror: string;
  next: Date;
}

/** `schedule:due`: a job's timer fired (issue 16: scheduler lateness). */
export interface ScheduleDue {
  mirror: string;
  /** When it was due. */
  due: Date;
  /** How late the timer fired, in ms (≥ 0). */
  latenessMs: number;
}

/** Every event of a worker, by name. */
export interface WorkerEvents {
  'job:state': [JobStateChange];
  'job:status': [JobStatusReport];
  'run:start': [RunStartEvent];
  'run:end': [RunEndEvent];
  schedule: [ScheduleChange];
  'schedule:due': [ScheduleDue];
  'report:sent': [ReportSentEvent];
  'report:refused': [ReportRefusedEvent];
  'outbox:depth': [OutboxDepthEvent];
  'report:dead-letter': [DeadLetterEvent];
}

/** The worker's event emitter (`worker.events`). */
export type WorkerEventEmitter = EventEmitter<WorkerEvents>;

/** A new worker event emitter. */
export function createWorkerEvents(): WorkerEventEmitter {
  return new EventEmitter<WorkerEvents>();
}

/** Re-emits the reporter's delivery events as the worker's `report:*` / `outbox:depth` events. */
export function bridgeReporterEvents(source: EventEmitter<ReporterEvents>, events: WorkerEventEmitter): void {
  source.on('sent', (e) => events.emit('report:sent', e));
  source.on('refused', (e) => events.emit('report:refused', e));
  source.on('depth', (e) => events.emit('outbox:depth', e));
  source.on('dead-letter', (e) => events.emit('report:dead-letter', e));
}
