/**
 * Error classes shared by every tunasync-ts package. Each carries a stable
 * `code` so callers (and the manager's error middleware) can map it to an
 * exit status or an HTTP status without matching on messages.
 */

/** Stable machine-readable error codes. */
export type TunasyncErrorCode =
  | 'CONFIG_INVALID'
  | 'BAD_REQUEST'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'PAYLOAD_TOO_LARGE'
  | 'UPSTREAM_FAILED'
  | 'INTERNAL'
  | 'STORAGE_FULL';

/**
 * The stable snake_case `code` of an HTTP error body
 * (`{"error": "...", "code": "..."}`). Clients match these, never the text;
 * the manager's README lists what each means.
 */
export type WireErrorCode =
  | 'bad_request'
  | 'invalid_worker_id'
  | 'worker_not_registered'
  | 'worker_url_not_allowed'
  | 'too_many_workers'
  | 'too_many_jobs'
  | 'malformed_json'
  | 'malformed_path'
  | 'payload_too_large'
  | 'unsupported_encoding'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'no_route'
  | 'conflict'
  | 'worker_unreachable'
  | 'worker_refused'
  | 'upstream_failed'
  | 'store_unavailable'
  | 'config_invalid'
  | 'storage_full'
  | 'internal';

/** Options of TunasyncError: ErrorOptions plus the wire code of the error body. */
export interface TunasyncErrorOptions extends ErrorOptions {
  /** The body's `code`; default: `code` in snake case (`BAD_REQUEST` → `bad_request`). */
  wireCode?: string;
}

/** Base class: a message plus a `code`, the HTTP status and the wire code it maps to. */
export class TunasyncError extends Error {
  /** Stable machine-readable code. */
  readonly code: TunasyncErrorCode;
  /** HTTP status a server answers with for this error. */
  readonly httpStatus: number;
  /** The `code` of the HTTP error body (snake case, stable; see WireErrorCode). */
  readonly wireCode: string;

  constructor(code: TunasyncErrorCode, httpStatus: number, message: string, options?: TunasyncErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.httpStatus = httpStatus;
    this.wireCode = options?.wireCode ?? code.toLowerCase();
  }
}

/** An HTTP error body: tunasync's `{"error": "..."}` plus our stable `code`. */
export interface WireErrorBody {
  error: string;
  code: string;
}

/** The wire code of an error body, or undefined when `body` is not one (e.g. tunasync's, which has no code). */
export function wireErrorCode(body: unknown): string | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  const code = (body as Record<string, unknown>).code;
  return typeof code === 'string' ? code : undefined;
}

/** One problem found in a config file: where it is and why it is wrong. */
export interface ConfigIssue {
  /** The file the problem is in. */
  file: string;
  /** Key path such as `mirrors[3].interval`; empty for a whole-file problem. */
  path: string;
  /** Why the value is wrong. */
  message: string;
  /** Line and column, for TOML syntax errors. */
  line?: number;
  column?: number;
}

/** Formats one config issue as `file: key: reason` (or `file:line:col: reason`). */
export function formatConfigIssue(issue: ConfigIssue): string {
  const where =
    issue.line !== undefined
      ? `${issue.file}:${issue.line}:${issue.column ?? 0}`
      : issue.path
        ? `${issue.file}: ${issue.path}`
        : issue.file;
  return `${where}: ${issue.message}`;
}

/** A config file that cannot be used; lists every problem found, not only the first. */
export class ConfigError extends TunasyncError {
  /** Every problem found. */
  readonly issues: ConfigIssue[];

  constructor(issues: ConfigIssue[]) {
    const lines = issues.map(formatConfigIssue);
    super('CONFIG_INVALID', 500, lines.length === 1 ? lines[0]! : `invalid configuration:\n  ${lines.join('\n  ')}`);
    this.issues = issues;
  }
}

/**
 * A request or wire value that is malformed; maps to 400 with wire code
 * `bad_request` unless a more specific one is given (`invalid_worker_id`).
 */
export class ValidationError extends TunasyncError {
  /** The field at fault (`status`, `schedules[2].name`), when one is. */
  readonly field?: string;

  constructor(message: string, field?: string, wireCode: WireErrorCode = 'bad_request') {
    super('BAD_REQUEST', 400, message, { wireCode });
    if (field !== undefined) this.field = field;
  }
}

/** Missing or wrong credentials; maps to 401. */
export class UnauthorizedError extends TunasyncError {
  constructor(message = 'token missing or wrong') {
    super('UNAUTHORIZED', 401, message);
  }
}

/** Valid credentials that may not do this; maps to 403. */
export class ForbiddenError extends TunasyncError {
  constructor(message: string) {
    super('FORBIDDEN', 403, message);
  }
}

/** Something named does not exist; maps to 404. */
export class NotFoundError extends TunasyncError {
  constructor(message: string) {
    super('NOT_FOUND', 404, message);
  }
}

/** A body larger than allowed; maps to 413. */
export class PayloadTooLargeError extends TunasyncError {
  constructor(message = 'request body too large') {
    super('PAYLOAD_TOO_LARGE', 413, message);
  }
}

/**
 * A peer (worker or manager) that failed or answered with an error; maps to
 * 502 by default, wire code `upstream_failed` unless `options.wireCode`
 * (`worker_unreachable`, `worker_refused`) says more.
 */
export class UpstreamError extends TunasyncError {
  constructor(message: string, httpStatus = 502, options?: TunasyncErrorOptions) {
    super('UPSTREAM_FAILED', httpStatus, message, options);
  }
}

/** Type guard for any tunasync-ts error. */
export function isTunasyncError(err: unknown): err is TunasyncError {
  return err instanceof TunasyncError;
}

/** The message of anything thrown, for logs and error replies. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/**
 * The store cannot grow (disk full, quota or size cap reached); maps to 507
 * Insufficient Storage. Writes fail until space is freed; reads keep working.
 */
export class StorageFullError extends TunasyncError {
  constructor(message: string, options?: ErrorOptions) {
    super('STORAGE_FULL', 507, message, options);
  }
}
