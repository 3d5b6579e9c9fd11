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
} from '@tunasync/core';
import { transportError } from './client-errors.js';
import { NO_STALE_MESSAGE, parseStaleMirror } from './stale-entry.js';

export { NO_STALE_MESSAGE, type StaleMirror } from './stale-entry.js';
export {
  NO_EXTERNAL_MESSAGE,
  NO_HISTORY_MESSAGE,
  NO_MAINTENANCE_MESSAGE,
  type CommandRequest,
  type ExternalAnswer,
  type ExternalRun,
  type HistoryAnswer,
  type HistoryQuery,
  type ManagerClient,
  type ManagerClientOptions,
} from './client-contract.js';
import {
  NO_EXTERNAL_MESSAGE,
  NO_HISTORY_MESSAGE,
  NO_MAINTENANCE_MESSAGE,
  type HistoryAnswer,
  type HistoryQuery,
  type ManagerClient,
  type ManagerClientOptions,
} from './client-contract.js';
import { ManagerRequestError, UsageError } from './errors.js';
import { parseMirrorView } from './mirror-view.js';
import { escapeTerminalText } from './terminal-text.js';

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
