/**
 * What the manager persists, as an interface: SQLite implements it in the
 * manager package; a PostgreSQL or Redis store implements the same contract
 * in a package of its own (`@tunasync/store-<db_type>`, exporting
 * `createJobStore`, see JobStoreModule) and must pass the testkit's
 * `describeJobStore` conformance suite.
 *
 * Every method is async so network-backed stores fit. Each call is atomic on
 * its own; `updateMirrorStatus` is a read-modify-write in one transaction.
 * A write the store has no room for rejects with core's `StorageFullError`
 * (HTTP 507); reads keep working. Wave-2 parts of the contract (stats,
 * notifications, maintenance, leases, change feed) are in store-ops.ts.
 */
import type { Logger } from './logger.js';
import type { LeaseStore, MaintenanceStore, NotificationStore } from './store-ops.js';
import type { RunRecord, RunResult, RunTrigger } from './runs.js';
import type { JobStatsStore } from './store-ops.js';
import type { Clock } from './time.js';
import type { MirrorSchedule, MirrorStatus, WorkerStatus } from './wire.js';

/**
 * One change to a job's run history (issue 14), decided by the manager from a
 * status report and applied by the store in the same transaction as the
 * status. "The job" is the (worker, mirror) of the status update; a job has
 * at most one open run (`result` unset).
 *
 * - `open`: run `runId` is in progress. Every other open run of the job is
 *   closed as `aborted` (ended now). When the job already has the run, its
 *   `attempts` become max(stored, `attempt`) and nothing else changes (a
 *   closed run stays closed); otherwise a row is inserted, started `at`.
 *   With `onlyIfNoneOpen`, nothing happens when the job has an open run.
 * - `close`: the run ends `at` with `result`. With `matchOpen` (reports of
 *   tunasync's worker, which carry no run id) the job's open run is closed,
 *   whatever its id; when there is none, a row `runId` is inserted, started
 *   `at`. Without it the run `runId` is closed (inserted first when missing,
 *   started `at` minus `durationS`) and other open runs of the job are
 *   aborted; a run already closed (e.g. `aborted` by a stop) keeps its result
 *   and end and only gets the details it lacked (exit code, bytes, log file).
 *   `durationS` unset: the seconds from its start to `at`.
 * - `abort`: every open run of the job is closed as `aborted` at `at`.
 */
export type RunHistoryStep =
  | { kind: 'open'; runId: string; at: Date; trigger: RunTrigger; attempt: number; onlyIfNoneOpen?: boolean; isNew?: boolean }
  | {
      kind: 'close';
      runId: string;
      matchOpen: boolean;
      at: Date;
      /** `skipped`: a run a guard skipped (issue 18), recorded as one closed row. */
      result: 'success' | 'failed' | 'skipped';
      trigger: RunTrigger;
      attempt?: number;
      exitCode?: number;
      durationS?: number;
      errorMsg: string;
      size: string;
      transferredBytes?: number;
      filesTransferred?: number;
      logFile?: string;
    }
  | { kind: 'abort'; at: Date };

/** Which runs of a mirror `listRuns` answers. */
export interface RunQuery {
  /** At most this many rows. */
  limit: number;
  /** Only this worker's runs. */
  worker?: string;
  /** Only runs that ended so. */
  result?: RunResult;
  /** Only runs older (in the history's order) than this run of the mirror; no rows when the mirror has no such run. */
  before?: string;
}

/** Persistence for workers, their jobs' statuses and the jobs' run history. */
export interface JobStore extends JobStatsStore, NotificationStore, MaintenanceStore, LeaseStore {
  /**
   * Opens the store (files, connections, migrations); a constructor does no
   * I/O. Must resolve before any other method is called (they fail until
   * then). Idempotent: a second call on an open store resolves at once, so a
   * caller handed a store may always call it. Rejects with a message fit for
   * an operator when the store cannot be used (missing, corrupt, unreachable).
   */
  init(): Promise<void>;
  /** Touches the store with a cheap read; rejects when it cannot answer (`GET /healthz`). */
  healthCheck(): Promise<void>;
  /**
   * Optional capability: a value that changes whenever any worker or status
   * may have changed, so `GET /jobs` can reuse its last answer while it
   * stays equal. A store without it is read on every request.
   */
  generation?(): string | Promise<string>;

  /** Every registered worker, ordered by id. */
  listWorkers(): Promise<WorkerStatus[]>;
  /** One worker, or undefined when not registered. */
  getWorker(workerId: string): Promise<WorkerStatus | undefined>;
  /** Inserts or replaces a worker; returns what was stored. */
  createWorker(worker: WorkerStatus): Promise<WorkerStatus>;
  /** Sets a worker's `last_online`; returns it, or undefined when not registered. */
  refreshWorker(workerId: string, at: Date): Promise<WorkerStatus | undefined>;
  /** Removes a worker (its jobs stay, as in tunasync); false when it was not there. */
  deleteWorker(workerId: string): Promise<boolean>;

  /** One job's status, or undefined. */
  getMirrorStatus(workerId: string, mirrorId: string): Promise<MirrorStatus | undefined>;
  /**
   * Atomically reads a job's status (undefined when new), computes the next
   * one with `update` (pure, synchronous) and stores it; returns what was stored.
   * `run` (pure, synchronous), given the previous and the stored status, says
   * what the report does to the job's run history; its step is applied in the
   * same transaction (see RunHistoryStep).
   */
  updateMirrorStatus(
    workerId: string,
    mirrorId: string,
    update: (previous: MirrorStatus | undefined) => MirrorStatus,
    run?: (previous: MirrorStatus | undefined, next: MirrorStatus) => RunHistoryStep | undefined,
  ): Promise<MirrorStatus>;
  /** A worker's jobs, ordered by name. */
  listMirrorStatus(workerId: string): Promise<MirrorStatus[]>;
  /** How many jobs a worker has (the `[limits] max_jobs_per_worker` check: cheap, no rows read). */
  countMirrorStatus(workerId: string): Promise<number>;
  /** Every job of every worker, ordered by worker then name. */
  listAllMirrorStatus(): Promise<MirrorStatus[]>;
  /**
   * Sets `next_schedule` of each named job of a worker in one transaction;
   * jobs the store does not know are skipped. Returns how many were updated.
   */
  setSchedules(workerId: string, schedules: MirrorSchedule[]): Promise<number>;
  /** Deletes one job's status (a job removed from its worker's config); false when it was not there. */
  deleteMirrorStatus(workerId: string, mirrorId: string): Promise<boolean>;
  /** Deletes every job whose status is `disabled`; returns how many. */
  flushDisabledJobs(): Promise<number>;

  /**
   * A mirror's runs (every worker's, or `query.worker`'s), newest first:
   * by `started_at` descending, then by insertion, newest first.
   */
  listRuns(mirror: string, query: RunQuery): Promise<RunRecord[]>;
  /** One run of a mirror (on `worker` when given), or undefined. */
  getRun(mirror: string, runId: string, worker?: string): Promise<RunRecord | undefined>;
  /**
   * Retention of one job: deletes its runs beyond the newest `keep` and those
   * started before `olderThan`; returns how many went.
   */
  pruneRuns(workerId: string, mirrorId: string, retention: { keep: number; olderThan: Date }): Promise<number>;
  /**
   * Retention of every job by age: deletes at most `limit` runs started
   * before `olderThan` (the caller repeats while it gets `limit`); returns how many went.
   */
  pruneOldRuns(olderThan: Date, limit: number): Promise<number>;

  /** Releases the store; further calls fail. */
  close(): Promise<void>;
}

/** What a store package's `createJobStore` is given. */
export interface JobStoreFactoryOptions {
  /** manager.conf `[files] db_type`, lower-cased (e.g. `postgres`). */
  dbType: string;
  /**
   * Where the store lives: `TUNASYNC_DB_URL` when set, else `[files] db_file`
   * (a file for SQLite, a connection URL such as `postgres://…` otherwise).
   */
  url: string;
  /** The manager's logger. */
  logger: Logger;
  /** The manager's clock. */
  clock: Clock;
}

/**
 * Makes a store for one `db_type`; the manager calls `init()` on the result
 * (so a factory should do no I/O itself).
 */
export type JobStoreFactory = (options: JobStoreFactoryOptions) => JobStore | Promise<JobStore>;

/**
 * What an optional store package exports. `db_type = "<type>"` makes the
 * manager `import('@tunasync/store-<type>')` and call its `createJobStore`.
 */
export interface JobStoreModule {
  /** Makes the store (not yet initialised). */
  createJobStore: JobStoreFactory;
}
