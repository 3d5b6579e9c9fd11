/**
 * A small typed client for the manager's API (wire-protocol.md, "Manager
 * routes"): what tunasynctl does, for anyone's script to reuse. Answers are
 * parsed with core's wire parsers; every failure is a ManagerRequestError
 * with a one-line message (the address tried, the TLS problem, "token
 * missing or wrong", or the manager's own `error` text).
 */
import { readFileSync } from 'node:fs';
import {
  COMMAND_VERBS,
  ValidationError,
  createHttpClient,
  errorMessage,
  formatRfc3339,
  parseMirrorStatus,
  parseRunRecord,
  parseWebMirrorStatus,
  parseWorkerStatus,
  serializeClientCmd,
  type CommandVerb,
  type RunResult,
  type MirrorStatus,
  type RunRecord,
  type WebMirrorStatus,
  type WorkerStatus,
} from '@tunasync/core';
import type { Readable } from 'node:stream';
import { transportError } from './client-errors.js';
import { NO_STALE_MESSAGE, parseStaleMirror, type StaleMirror } from './stale-entry.js';

export { NO_STALE_MESSAGE, type StaleMirror } from './stale-entry.js';
import { ManagerRequestError, UsageError } from './errors.js';
import { parseMirrorView, type MirrorView } from './mirror-view.js';
import { escapeTerminalText } from './terminal-text.js';

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


/** The object a JSON body holds, or undefined. */
function bodyObject(body: string): Record<string, unknown> | undefined {
  try {
    const parsed = JSON.parse(body) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // not JSON: fall through
  }
  return undefined;
}

/** The manager's message in a body (`error`, `message` or `msg`), as it sent it. */
function managerMessage(body: string): string | undefined {
  const o = bodyObject(body);
  if (o) for (const key of ['error', 'message', 'msg']) if (typeof o[key] === 'string' && o[key] !== '') return o[key];
  return undefined;
}

/** The stable `code` a tunasync-ts manager puts next to `error` (tunasync's sends none). */
function managerCode(body: string): string | undefined {
  const code = bodyObject(body)?.code;
  return typeof code === 'string' && /^[A-Za-z0-9_.-]{1,100}$/.test(code) ? code : undefined;
}

/** A manager's text for a message a person reads: control characters escaped, one line. */
const shown = (text: string): string => escapeTerminalText(text);

function jsonBody(text: string, url: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ManagerRequestError('bad-answer', `the manager's answer to ${url} is not JSON: ${shown(text.slice(0, 80))}`, { url });
  }
}

function list<T>(body: unknown, url: string, parse: (x: unknown) => T): T[] {
  if (body === null) return []; // tunasync's manager answers null for an empty list
  if (!Array.isArray(body)) throw new ManagerRequestError('bad-answer', `the manager's answer to ${url} is not a list`, { url });
  try {
    return body.map(parse);
  } catch (err) {
    throw new ManagerRequestError('bad-answer', `the manager's answer to ${url} is malformed: ${shown(errorMessage(err))}`, { url, cause: err });
  }
}

const seg = (s: string): string => encodeURIComponent(s);

/** The query string of a history request (only the parameters given). */
function historyQueryString(q: HistoryQuery): string {
  const params = new URLSearchParams();
  if (q.limit !== undefined) params.set('limit', String(q.limit));
  if (q.worker !== undefined) params.set('worker', q.worker);
  if (q.result !== undefined) params.set('result', q.result);
  if (q.before !== undefined) params.set('before', q.before);
  const text = params.toString();
  return text ? `?${text}` : '';
}

/**
 * A 404 that says the route does not exist: tunasync's manager answers
 * `404 page not found` (no JSON code), ours `{code: "no_route"}` when no
 * module serves the path. A 404 with another code (an unknown mirror, say)
 * is the manager's own answer.
 */
function isMissingRoute(err: unknown): boolean {
  return err instanceof ManagerRequestError && err.status === 404 && (err.managerCode === undefined || err.managerCode === 'no_route');
}

/** Fails early, naming the option, when a PEM file cannot be read. */
function checkReadable(file: string | undefined, what: string): void {
  if (!file) return;
  try {
    readFileSync(file);
  } catch (err) {
    const code = (err as { code?: string }).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : errorMessage(err);
    throw new ValidationError(`cannot read the ${what} ${file}: ${why}`, what);
  }
}

/** Creates a client for the manager at `options.baseUrl`. */
export function createManagerClient(options: ManagerClientOptions): ManagerClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  checkReadable(options.caCert, 'CA certificate');
  checkReadable(options.clientCert, 'client certificate');
  checkReadable(options.clientKey, 'client key');
  const http = createHttpClient({
    ...(options.caCert ? { caFile: options.caCert } : {}),
    ...(options.clientCert ? { clientCertFile: options.clientCert } : {}),
    ...(options.clientKey ? { clientKeyFile: options.clientKey } : {}),
    ...(options.token ? { token: options.token } : {}),
    timeoutMs: options.timeoutMs ?? 10_000,
    retries: 0,
  });
  const trace = options.trace ?? (() => undefined);

  async function request(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<unknown> {
    const url = `${baseUrl}${path}`;
    trace(`${method} ${url}`);
    let res;
    try {
      res = await http(url, {
        method,
        ...(body !== undefined ? { json: body } : {}),
        responseType: 'text',
        throwHttpErrors: false,
      });
    } catch (err) {
      trace(`${method} ${url} failed: ${errorMessage(err)}`);
      throw transportError(err, url, baseUrl);
    }
    const text = res.body;
    trace(`${method} ${url} -> ${res.statusCode} ${shown(text.length > 200 ? `${text.slice(0, 200)}…` : text)}`);
    const status = res.statusCode;
    if (status >= 200 && status < 300) return jsonBody(text, url);
    const raw = managerMessage(text);
    const said = raw === undefined ? undefined : shown(raw);
    const code = managerCode(text);
    const details = { url, status, ...(code ? { managerCode: code } : {}) };
    if (status === 401) {
      const detail = options.token ? 'the manager does not know this token' : 'no token was given (--token, TUNASYNC_TOKEN or token in ctl.conf)';
      throw new ManagerRequestError('unauthorized', `token missing or wrong: ${detail}${said ? ` (manager: ${said})` : ''}`, details);
    }
    const message = said ?? `${method} ${path} answered HTTP ${status}${text.trim() ? `: ${shown(text.trim().slice(0, 120))}` : ''}`;
    throw new ManagerRequestError('rejected', message, details);
  }

  /** GET `path`, where a missing route means the manager keeps no history. */
  async function historyRoute(path: string): Promise<unknown> {
    try {
      return await request('GET', path);
    } catch (err) {
      if (isMissingRoute(err)) throw new ManagerRequestError('unsupported', NO_HISTORY_MESSAGE, { url: baseUrl + path, status: 404, cause: err });
      throw err;
    }
  }

  async function historyRows(mirror: string, query: HistoryQuery = {}): Promise<HistoryAnswer> {
    const path = `/jobs/${seg(mirror)}/history${historyQueryString(query)}`;
    const body = await historyRoute(path);
    const records = list(body, baseUrl + path, parseRunRecord);
    return { rows: Array.isArray(body) ? body : [], records };
  }

  return {
    baseUrl,
    openStream(path, opts) {
      const url = `${baseUrl}${path}`;
      trace(`GET ${url} (stream)`);
      const stream = http.stream(url, {
        headers: { accept: 'text/event-stream', ...opts.headers },
        throwHttpErrors: false,
        retry: { limit: 0 },
        timeout: { request: undefined, response: options.timeoutMs ?? 10_000 },
        signal: opts.signal,
      });
      return new Promise((resolve, reject) => {
        stream.once('response', (res: { statusCode: number }) => {
          trace(`GET ${url} -> ${res.statusCode} (stream)`);
          resolve({ status: res.statusCode, body: stream });
        });
        stream.on('error', (err: unknown) => reject(transportError(err, url, baseUrl)));
      });
    },
    async ping() {
      await request('GET', '/ping');
    },
    async listJobs() {
      return list(await request('GET', '/jobs'), `${baseUrl}/jobs`, parseWebMirrorStatus);
    },
    async listWorkerJobs(workerId) {
      const path = `/workers/${seg(workerId)}/jobs`;
      return list(await request('GET', path), baseUrl + path, parseMirrorStatus);
    },
    async listWorkers() {
      return list(await request('GET', '/workers'), `${baseUrl}/workers`, parseWorkerStatus);
    },
    async deleteWorker(workerId) {
      const path = `/workers/${seg(workerId)}`;
      const said = managerMessage(JSON.stringify(await request('DELETE', path)));
      if (said !== 'deleted') throw new ManagerRequestError('bad-answer', `the manager did not confirm removing worker ${shown(workerId)}${said ? `: ${shown(said)}` : ''}`, { url: baseUrl + path });
    },
    async setSize(workerId, mirror, size) {
      const path = `/workers/${seg(workerId)}/jobs/${seg(mirror)}/size`;
      const body = await request('POST', path, { name: mirror, size });
      try {
        return parseMirrorStatus(body);
      } catch (err) {
        throw new ManagerRequestError('bad-answer', `the manager's answer to ${baseUrl + path} is malformed: ${shown(errorMessage(err))}`, { url: baseUrl + path, cause: err });
      }
    },
    async flushDisabled() {
      await request('DELETE', '/jobs/disabled');
    },
    async sendCommand(r) {
      if (!(COMMAND_VERBS as readonly string[]).includes(r.cmd)) {
        throw new UsageError(`unknown command ${JSON.stringify(r.cmd)} (known: ${COMMAND_VERBS.join(', ')})`);
      }
      const body = serializeClientCmd({ cmd: r.cmd, workerId: r.workerId, mirrorId: r.mirrorId ?? '', args: r.args ?? [], options: r.options ?? {} });
      const answer = await request('POST', '/cmd', body);
      return managerMessage(JSON.stringify(answer)) ?? '';
    },
    history: async (mirror, query = {}) => (await historyRows(mirror, query)).records,
    async stale() {
      let body: unknown;
      try {
        body = await request('GET', '/stale');
      } catch (err) {
        if (isMissingRoute(err)) throw new ManagerRequestError('unsupported', NO_STALE_MESSAGE, { url: `${baseUrl}/stale`, status: 404, cause: err });
        throw err;
      }
      return list(body, `${baseUrl}/stale`, parseStaleMirror);
    },
    historyRows,
    async maintenance(method, body) {
      try {
        return await request(method, '/maintenance', body);
      } catch (err) {
        if (isMissingRoute(err) || (err instanceof ManagerRequestError && err.status === 405)) {
          throw new ManagerRequestError('unsupported', NO_MAINTENANCE_MESSAGE, { url: `${baseUrl}/maintenance`, status: 404, cause: err });
        }
        throw err;
      }
    },
    async mirror(mirror) {
      const path = `/jobs/${seg(mirror)}`;
      const body = await historyRoute(path);
      try {
        return { view: parseMirrorView(body), body };
      } catch (err) {
        throw new ManagerRequestError('bad-answer', `the manager's answer to ${baseUrl + path} is malformed: ${shown(errorMessage(err))}`, { url: baseUrl + path, cause: err });
      }
    },
    async recordExternal(workerId, mirror, run) {
      const path = `/workers/${seg(workerId)}/jobs/${seg(mirror)}/external`;
      const body = {
        status: run.status,
        ...(run.at ? { at: formatRfc3339(run.at) } : {}),
        ...(run.size !== undefined ? { size: run.size } : {}),
        ...(run.message !== undefined ? { message: run.message } : {}),
      };
      let answer: unknown;
      try {
        answer = await request('POST', path, body);
      } catch (err) {
        if (isMissingRoute(err)) throw new ManagerRequestError('unsupported', NO_EXTERNAL_MESSAGE, { url: baseUrl + path, status: 404, cause: err });
        throw err;
      }
      try {
        const o = answer as { job?: unknown; run?: unknown };
        return { job: parseMirrorStatus(o.job), ...(o.run ? { run: parseRunRecord(o.run) } : {}) };
      } catch (err) {
        throw new ManagerRequestError('bad-answer', `the manager's answer to ${baseUrl + path} is malformed: ${shown(errorMessage(err))}`, { url: baseUrl + path, cause: err });
      }
    },
  };
}
