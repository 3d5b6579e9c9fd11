/** The public shape of a worker: what createWorker takes and returns. */
import type { Clock, Logger, WorkerCmd, WorkerConfig } from '@tunasync/core';
import type { WorkerRouteModule } from './control-server.js';
import type { WorkerEventEmitter } from './events.js';
import type { MirrorJob } from './mirror-job.js';
import type { TimerApi } from './scheduler.js';

/** What createWorker needs. */
export interface WorkerOptions {
  config: WorkerConfig;
  logger: Logger;
  clock?: Clock;
  /** Timers of the scheduler (default: the real ones); tests drive time with their own. */
  timers?: TimerApi;
  /** Milliseconds between SIGTERM and SIGKILL for aborted runs (default 5000). */
  graceMs?: number;
  /** Longest wait between retries to a manager (default 30 s). */
  maxBackoffMs?: number;
  /** How long start() waits for the first manager before scheduling without its job list (default 5000 ms). */
  registerWaitMs?: number;
  /** Bytes a log follower may have queued before it is dropped (default 16 MiB). */
  logFollowerQueueBytes?: number;
  /** Extra routes on the control server (mounted before its 404). */
  routes?: WorkerRouteModule[];
}

/** How a worker halts. */
export interface HaltOptions {
  /** The worker is terminated (SIGTERM, a restart): with `keep_syncs_on_restart` its syncs keep running. */
  terminate?: boolean;
}

/** A running worker. */
export interface Worker {
  /** The jobs by mirror name. */
  readonly jobs: ReadonlyMap<string, MirrorJob>;
  /** The control server's URL as registered with the managers. */
  readonly url: string;
  /** Every event of the worker: job states and statuses, runs, schedules, report delivery. */
  readonly events: WorkerEventEmitter;
  /** When job `name` runs next, if a run is pending. */
  nextRun(name: string): Date | undefined;
  /** Listens, registers with the managers, restores and schedules jobs. */
  start(): Promise<void>;
  /** Applies a command as the control server would. */
  command(cmd: WorkerCmd): Promise<void>;
  /** Re-reads the config file (or takes `next`) and applies the differences. */
  reload(next?: WorkerConfig): Promise<void>;
  /** Waits (bounded) until every queued report has reached the managers. */
  flushReports(timeoutMs?: number): Promise<boolean>;
  /**
   * Stops scheduling, aborts running jobs, reports their end, closes the
   * server. With `terminate` (SIGTERM) and `keep_syncs_on_restart` on,
   * running syncs are left running instead, for the next worker to adopt.
   */
  halt(options?: HaltOptions): Promise<void>;
}
