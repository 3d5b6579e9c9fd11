/**
 * The events of Reporter, as a typed map for `EventEmitter<ReporterEvents>`.
 * `manager` is the manager's API base as configured (without a trailing
 * slash); `path` the report's path on it.
 */

/** A report the manager accepted. */
export interface ReportSentEvent {
  manager: string;
  path: string;
}

/** A manager answered a report with an error status. */
export interface ReportRefusedEvent {
  manager: string;
  path: string;
  status: number;
  /** The `code` of the manager's error body, when it sent one (tunasync's does not). */
  code?: string;
  /** True when the report was dropped for it (refused for good); false when it will be retried. */
  dropped: boolean;
}

/** The number of reports waiting for a manager changed. */
export interface OutboxDepthEvent {
  manager: string;
  depth: number;
}

/** A report that kept failing was parked in the dead-letter file, and the queue moved on. */
export interface DeadLetterEvent {
  manager: string;
  path: string;
  /** How many times it was refused. */
  attempts: number;
  /** The last refusal (`answered 500 …`). */
  reason: string;
}

/** The event map of Reporter. */
export interface ReporterEvents {
  sent: [ReportSentEvent];
  refused: [ReportRefusedEvent];
  depth: [OutboxDepthEvent];
  'dead-letter': [DeadLetterEvent];
}

/** Emits one Reporter event. */
export type ReporterEmit = <K extends keyof ReporterEvents>(name: K, ...args: ReporterEvents[K]) => void;
