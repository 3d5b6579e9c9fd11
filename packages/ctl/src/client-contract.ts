/**
 * What the manager client offers (client.ts builds it): its options, the
 * requests and answers of its calls, and the messages it gives when a
 * manager lacks one of our routes (tunasync's own manager).
 */
import type { CommandVerb, MirrorStatus, RunRecord, RunResult, WebMirrorStatus, WorkerStatus } from '@tunasync/core';
import type { Readable } from 'node:stream';
import type { MirrorView } from './mirror-view.js';
import type { StaleMirror } from './stale-entry.js';

/** Options of createManagerClient. */
export interface ManagerClientOptions {
  /** The manager's base URL, e.g. `http://localhost:14242` (https when it has a certificate). */
  baseUrl: string;
  /** PEM file of the CA that signed the manager's certificate. */
  caCert?: string;
  /** Client certificate (PEM file), for a manager that asks for one. */
  clientCert?: string;
  /** Key of `clientCert` (PEM file). */
  clientKey?: string;
  /** Sent as `Authorization: Bearer …` when non-empty. */
  token?: string;
  /** Whole-request timeout in ms (default 10 000). */
  timeoutMs?: number;
  /** Called with one line per request and answer (for `--debug`). */
  trace?: (line: string) => void;
}

/** A command for `POST /cmd`. */
export interface CommandRequest {
  /** The verb. */
  cmd: CommandVerb;
  /** The worker the manager forwards it to. */
  workerId: string;
  /** The job; empty for `reload`. */
  mirrorId?: string;
  /** Extra arguments for the worker (tunasync's `args`). */
  args?: string[];
  /** `{ force: true }` on `start` runs past the worker's concurrency limit. */
  options?: Record<string, boolean>;
}

/** Which runs `history` asks for (`GET /jobs/:mirror/history`). */
export interface HistoryQuery {
  /** At most this many rows (the manager's default is 20, its maximum 1000). */
  limit?: number;
  /** Only this worker's runs. */
  worker?: string;
  /** Only runs with this result (`failed`). */
  result?: RunResult;
  /** Only runs older than this one (its full run id): the next page. */
  before?: string;
}

/** A history answer: the rows as the manager sent them, and the same rows parsed. */
export interface HistoryAnswer {
  /** The JSON rows, untouched (for `--output json`). */
  rows: unknown[];
  /** The rows parsed, newest first. */
  records: RunRecord[];
}

/** A run done outside the worker, for `POST /workers/:id/jobs/:job/external`. */
export interface ExternalRun {
  status: 'success' | 'failed';
  /** When it ended (default: the manager's now). */
  at?: Date;
  /** The mirror's size after it, e.g. `23.4G`. */
  size?: string;
  /** A note kept in the history row (and in `error_msg` when failed). */
  message?: string;
}

/** The manager's answer to an external run: the job as stored and its new history row. */
export interface ExternalAnswer {
  job: MirrorStatus;
  run?: RunRecord;
}

/** What tunasynctl says when the manager cannot record external runs (tunasync's manager, or an older tunasync-ts one). */
export const NO_EXTERNAL_MESSAGE = "this manager cannot record runs done elsewhere (tunasync's manager?)";

/** What tunasynctl says when the manager has no history route (tunasync's manager, or an older tunasync-ts one). */
export const NO_HISTORY_MESSAGE = "this manager keeps no run history (tunasync's manager?)";

/** What tunasynctl says when the manager has no maintenance mode (tunasync's manager). */
export const NO_MAINTENANCE_MESSAGE = "this manager has no maintenance mode (tunasync's manager?)";

/** The manager's API, typed. */
export interface ManagerClient {
  /** The base URL requests go to. */
  readonly baseUrl: string;
  /** `GET /ping`. */
  ping(): Promise<void>;
  /** `GET /jobs`: every job of every worker, as a status page sees it. */
  listJobs(): Promise<WebMirrorStatus[]>;
  /** `GET /workers/:id/jobs`: one worker's jobs. */
  listWorkerJobs(workerId: string): Promise<MirrorStatus[]>;
  /** `GET /workers` (tokens come back redacted). */
  listWorkers(): Promise<WorkerStatus[]>;
  /** `DELETE /workers/:id`. */
  deleteWorker(workerId: string): Promise<void>;
  /** `POST /workers/:id/jobs/:job/size`; returns the job as stored. */
  setSize(workerId: string, mirror: string, size: string): Promise<MirrorStatus>;
  /** `DELETE /jobs/disabled`. */
  flushDisabled(): Promise<void>;
  /** `POST /cmd`; returns the manager's message. */
  sendCommand(request: CommandRequest): Promise<string>;
  /**
   * `GET /jobs/:mirror/history`: a mirror's runs, newest first. A manager
   * without the route (tunasync's) is a ManagerRequestError of kind
   * `unsupported` with NO_HISTORY_MESSAGE.
   */
  history(mirror: string, query?: HistoryQuery): Promise<RunRecord[]>;
  /** Like `history`, with the rows as the manager sent them too. */
  historyRows(mirror: string, query?: HistoryQuery): Promise<HistoryAnswer>;
  /**
   * `GET /jobs/:mirror`: the mirror's status on each worker, its last run
   * and stats, parsed (`view`) and as sent (`body`). Without the route:
   * kind `unsupported`, as `history`.
   */
  mirror(mirror: string): Promise<{ view: MirrorView; body: unknown }>;
  /**
   * `GET`, `POST` (with `{message, until?}`) or `DELETE /maintenance`; the
   * manager's answer as sent. Without the route (tunasync's manager): kind
   * `unsupported` with NO_MAINTENANCE_MESSAGE.
   */
  maintenance(method: 'GET' | 'POST' | 'DELETE', body?: { message: string; until?: string }): Promise<unknown>;
  /**
   * `GET /stale`: the mirrors stale now by the manager's clock (issue 16).
   * Without the route (tunasync's manager): kind `unsupported`, NO_STALE_MESSAGE.
   */
  stale(): Promise<StaleMirror[]>;
  /**
   * `POST /workers/:id/jobs/:job/external` (admin): records a run done
   * outside the worker. Without the route: kind `unsupported`.
   */
  recordExternal(workerId: string, mirror: string, run: ExternalRun): Promise<ExternalAnswer>;
  /**
   * Opens a GET stream (`GET /events`): resolves with the status once the
   * manager answers, the body to read; no overall timeout. Aborting
   * `signal` closes it. A transport failure is a ManagerRequestError.
   */
  openStream(path: string, opts: { signal: AbortSignal; headers?: Record<string, string> }): Promise<{ status: number; body: Readable }>;
}
