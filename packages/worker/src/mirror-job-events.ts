/** The typed events a MirrorJob emits (see mirror-job.ts). */
import type { JobState, RunPhase, RunTrigger, SyncStatus } from '@tunasync/core';

/** A job's control state changed. */
export interface JobStateEvent {
  job: string;
  from: JobState;
  to: JobState;
}

/** How a run ended, as its final status and its run-end event tell it. */
export interface JobRunSummary {
  /** Exit code of the run's last provider command (null: none ran, or killed by a signal). */
  exitCode: number | null;
  /** From the run's start (its `pre-syncing`) to its end. */
  durationMs: number;
  /** The last try's log file (absent when no try began). */
  logFile?: string;
  /** What the last try transferred, from its log (transfer-stats.ts). */
  transferredBytes?: number;
  filesTransferred?: number;
}

/** A status to report to the managers. */
export interface JobStatusEvent {
  job: string;
  status: SyncStatus;
  errorMsg: string;
  /** The run's last status: the next run may be scheduled. */
  final: boolean;
  /** Size found by the provider (on success). */
  size?: string;
  /** The run's id, the same on every status of the run. */
  runId: string;
  /** The try, from 1 (`pre-syncing` is the first try's). */
  attempt: number;
  trigger: RunTrigger;
  /** On the final status: how the run ended. */
  summary?: JobRunSummary;
  /** The run was skipped by a guard (issue 18): `status` is the job's last one, repeated; `errorMsg` says why. */
  skipped?: boolean;
  /** This run's upstream when it is not the configured one (`check_upstream` chose a fallback). */
  upstream?: string;
  at: Date;
}

/** A run entered a phase. */
export interface JobPhaseEvent {
  job: string;
  phase: RunPhase;
  attempt: number;
}

/** A try of a run began (after the pre-job hooks, with this try's log file). */
export interface JobRunStartEvent {
  job: string;
  /** The run's id, the same for each of its tries. */
  runId: string;
  /** The try, from 1. */
  attempt: number;
  trigger: RunTrigger;
  logFile: string;
  at: Date;
}

/** A run ended (`skipped`: aborted while waiting for a concurrency slot, or skipped by a run guard). */
export interface JobRunEndEvent extends JobRunSummary {
  job: string;
  outcome: 'success' | 'failed' | 'skipped';
  runId: string;
  trigger: RunTrigger;
  /** Tries made (0 when skipped). */
  attempts: number;
  /** True when a control action (stop, disable, restart, halt) aborted the run. */
  aborted: boolean;
  at: Date;
}

/** The typed events of a MirrorJob. */
export interface MirrorJobEvents {
  state: [JobStateEvent];
  status: [JobStatusEvent];
  phase: [JobPhaseEvent];
  'run-start': [JobRunStartEvent];
  'run-end': [JobRunEndEvent];
}
