/**
 * What can go wrong between tunasynctl and the manager, as one typed error
 * with a one-line message an operator can act on.
 */
import { TunasyncError, type TunasyncErrorCode } from '@tunasync/core';

/** Why a manager request failed. */
export type ManagerErrorKind =
  /** Nothing answered at the address (refused, unknown host, reset). */
  | 'unreachable'
  /** No answer within the timeout. */
  | 'timeout'
  /** The TLS handshake failed (untrusted certificate, wrong host, http vs https). */
  | 'tls'
  /** 401: no token, or one the manager does not know. */
  | 'unauthorized'
  /** Any other 4xx/5xx: the manager's `error` message. */
  | 'rejected'
  /** A 2xx whose body is not what the API promises. */
  | 'bad-answer'
  /** The manager has no such route (tunasync's manager has no run history). */
  | 'unsupported';

const CODES: Record<ManagerErrorKind, TunasyncErrorCode> = {
  unreachable: 'UPSTREAM_FAILED',
  timeout: 'UPSTREAM_FAILED',
  tls: 'UPSTREAM_FAILED',
  unauthorized: 'UNAUTHORIZED',
  rejected: 'UPSTREAM_FAILED',
  'bad-answer': 'UPSTREAM_FAILED',
  unsupported: 'NOT_FOUND',
};

function codeFor(kind: ManagerErrorKind, status: number | undefined): TunasyncErrorCode {
  if (kind !== 'rejected' || status === undefined) return CODES[kind];
  if (status === 400) return 'BAD_REQUEST';
  if (status === 403) return 'FORBIDDEN';
  if (status === 404) return 'NOT_FOUND';
  if (status === 413) return 'PAYLOAD_TOO_LARGE';
  return 'UPSTREAM_FAILED';
}

/** A failed request to the manager. */
export class ManagerRequestError extends TunasyncError {
  /** Why it failed. */
  readonly kind: ManagerErrorKind;
  /** The manager's HTTP status, when it answered. */
  readonly status: number | undefined;
  /** The URL that was requested. */
  readonly url: string;
  /**
   * The stable `code` of the manager's error body (`invalid_worker_id`, …):
   * a tunasync-ts manager sends one next to `error`, tunasync's does not.
   */
  readonly managerCode: string | undefined;

  constructor(kind: ManagerErrorKind, message: string, details: { url: string; status?: number; managerCode?: string; cause?: unknown }) {
    super(codeFor(kind, details.status), details.status ?? 502, message, details.cause === undefined ? undefined : { cause: details.cause });
    this.kind = kind;
    this.status = details.status;
    this.url = details.url;
    this.managerCode = details.managerCode;
  }
}

/** A command line that cannot be carried out as given (missing worker, bad status name…). */
export class UsageError extends TunasyncError {
  constructor(message: string) {
    super('BAD_REQUEST', 400, message);
  }
}

/**
 * A failure whose lines are already on stderr (a job command that failed for
 * some of its mirrors): tunasynctl exits 1 and prints nothing more.
 */
export class ReportedFailure extends TunasyncError {
  constructor(message = 'failed (reported above)') {
    super('UPSTREAM_FAILED', 502, message);
  }
}
