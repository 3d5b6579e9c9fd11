/**
 * Wave-2 parts of the store contract, one interface per concern. `JobStore`
 * (store.ts) extends each of them once its SQLite implementation lands; a
 * PostgreSQL or Redis store implements them all and passes the testkit's
 * conformance suite for each.
 *
 * Times written by these methods are the store's clock: the manager's clock
 * for SQLite (the `clock` the store was made with), the database's clock
 * where several managers share one store, so they never disagree.
 */
import type { RunResult } from './runs.js';

/**
 * Counters and last-run figures of one job (worker, mirror), kept by the
 * store and updated in the same transaction that closes a run (a `close`
 * or `abort` RunHistoryStep), so they survive a manager restart, are not
 * lowered by history pruning, and agree between managers on one store.
 */
export interface JobStats {
  worker: string;
  mirror: string;
  /** Runs closed as `success` or `failed` (not `aborted`, not `skipped`). */
  runsTotal: number;
  /** Runs closed as `failed`. */
  failuresTotal: number;
  /** Runs closed as `failed` since the last `success` (0 after a success). */
  consecutiveFailures: number;
  /** Sum of `transferred_bytes` of closed runs that reported it. */
  transferredBytesTotal: number;
  /** The last closed run's result, duration and bytes moved (absent when it did not report them). */
  lastResult?: RunResult;
  lastDurationS?: number;
  lastTransferredBytes?: number;
}

/**
 * What our worker says about a job beyond tunasync's fields (sent as
 * optional extension fields with its schedules), for stale detection.
 */
export interface JobMeta {
  worker: string;
  mirror: string;
  /** worker.conf `stale_after`, in seconds. */
  staleAfterS?: number;
  /** The job's interval in seconds (for the default stale rule: 2 × interval + 6 h). */
  intervalS?: number;
}

/** Per-job counters and worker-reported job metadata. */
export interface JobStatsStore {
  /** Every job's stats, ordered by worker then mirror (one read for a whole `/metrics` scrape). */
  listJobStats(): Promise<JobStats[]>;
  /** One job's stats; zeros (never undefined) for a job with no closed run. */
  getJobStats(workerId: string, mirrorId: string): Promise<JobStats>;
  /** Stores metadata of a worker's jobs (replacing what each named job had). */
  setJobMeta(workerId: string, metas: Omit<JobMeta, 'worker'>[]): Promise<void>;
  /** Every job's metadata, ordered by worker then mirror. */
  listJobMeta(): Promise<JobMeta[]>;
  /** One job's metadata, or undefined when its worker never sent any. */
  getJobMeta(workerId: string, mirrorId: string): Promise<JobMeta | undefined>;
}

/** A notification waiting in the durable delivery queue. */
export interface QueuedNotification {
  /** Store-assigned id. */
  id: string;
  /** Which `[[notify]]` receiver it goes to (the manager's name for the entry). */
  receiver: string;
  /** Identifies the event (e.g. `failed:worker1/debian:<run_id>`): enqueueing a key that is already queued or was delivered does nothing, so an event fires once. */
  dedupeKey: string;
  /** The event as JSON text (the manager formats it for the receiver when it sends). */
  payload: string;
  createdAt: Date;
  /** Delivery attempts so far. */
  attempts: number;
  /** Not to be sent before this time. */
  nextAttemptAt: Date;
  /** Held while maintenance mode is on; never claimed until released. */
  held: boolean;
  lastError?: string;
}

/** What a delivery attempt came to. */
export type NotificationOutcome =
  | { kind: 'delivered' }
  | { kind: 'retry'; at: Date; error: string }
  | { kind: 'dead'; error: string };

/** The durable notification queue (a manager restart loses nothing). */
export interface NotificationStore {
  /**
   * Queues events; returns how many were new (duplicates by `dedupeKey` of a
   * queued or delivered item are skipped). `nextAttemptAt` defaults to now.
   */
  enqueueNotifications(
    items: { receiver: string; dedupeKey: string; payload: string; held?: boolean; nextAttemptAt?: Date }[],
  ): Promise<number>;
  /**
   * Claims up to `limit` due items (not held, `nextAttemptAt` ≤ now, not
   * claimed by anyone in the last `claimMs`), oldest first, for `holder`.
   * A claim that is not finished within `claimMs` expires (the holder died).
   */
  claimNotifications(holder: string, limit: number, claimMs: number): Promise<QueuedNotification[]>;
  /** Records an attempt's outcome: `delivered` and `dead` remove it from the queue (remembering its key). */
  finishNotification(id: string, outcome: NotificationOutcome): Promise<void>;
  /** Removes and returns every held item, oldest first (maintenance ended: the caller sends one summary). */
  takeHeldNotifications(): Promise<QueuedNotification[]>;
  /** Items still queued (held or not), for metrics and tests. */
  countNotifications(): Promise<number>;
}

/** Maintenance mode of the site, as `GET /maintenance` shows it. */
export interface MaintenanceState {
  message: string;
  /** When it was switched on (store's clock). */
  since: Date;
  /** When it ends by itself, if set. */
  until?: Date;
}

/** Maintenance state: one row for the whole site. */
export interface MaintenanceStore {
  /** The current state, or undefined when off (also when `until` has passed). */
  getMaintenance(): Promise<MaintenanceState | undefined>;
  /** Switches it on (`since` = now, the store's clock) and returns what was stored. */
  setMaintenance(state: { message: string; until?: Date }): Promise<MaintenanceState>;
  /** Switches it off; false when it was off. */
  clearMaintenance(): Promise<boolean>;
}

/** Leases for work that one manager at a time must do (notifications, pruning, stale checks). */
export interface LeaseStore {
  /**
   * Takes or renews lease `name` for `holder` for `ttlMs` (store's clock);
   * true when `holder` holds it afterwards. Another holder's unexpired lease
   * makes it false.
   */
  acquireLease(name: string, holder: string, ttlMs: number): Promise<boolean>;
  /** Gives it up if `holder` holds it. */
  releaseLease(name: string, holder: string): Promise<void>;
}

/** A change a store reports to its watchers (see `ChangeFeed`). */
export type StoreChange =
  | { kind: 'status'; worker: string; mirror: string }
  | { kind: 'worker'; worker: string }
  | { kind: 'maintenance' }
  /** Changes may have been missed (e.g. a reconnect): watchers re-read everything. */
  | { kind: 'resync' };

/**
 * Optional capability: tells watchers about changes, its own writes and, on a
 * shared store, other managers' (PostgreSQL LISTEN/NOTIFY). A hint only:
 * watchers re-read the data the change names.
 */
export interface ChangeFeed {
  /** Calls `listener` after each change; returns the unsubscribe function. */
  watchChanges(listener: (change: StoreChange) => void): () => void;
}
