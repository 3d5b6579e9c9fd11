/**
 * The manager's log routes (issue 15) for tunasynctl: `GET
 * /jobs/:mirror/log` as text and `GET /jobs/:mirror/log/stream` as parsed
 * Server-Sent Events, over node's http(s) with the same CA, client
 * certificate and token as every other request. A stream that drops is
 * taken up again from the last event id.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { ManagerRequestError } from './errors.js';
import { SseParser, type SseEvent } from './sse.js';

/** Where the manager is and how to talk to it. */
export interface LogConnection {
  baseUrl: string;
  caCert?: string;
  clientCert?: string;
  clientKey?: string;
  token?: string;
}

/** What to read. */
export interface LogQuery {
  worker?: string;
  run?: string;
  tail?: number;
  offset?: number;
  /** `run`: a stream starts at the current try's first line. */
  from?: 'run';
}

/** How a followed run ended. */
export interface RunEnd {
  run_id: string | null;
  result: string;
}

/** A log read whole. */
export interface LogText {
  text: string;
  runId?: string;
  size?: number;
}

/** What tunasynctl says when the manager has no log routes. */
export const NO_LOGS_MESSAGE = "this manager does not serve logs (tunasync's manager?)";

function pathFor(mirror: string, stream: boolean, q: LogQuery): string {
  const params = new URLSearchParams();
  if (q.worker !== undefined) params.set('worker', q.worker);
  if (q.run !== undefined) params.set('run', q.run);
  if (q.tail !== undefined) params.set('tail', String(q.tail));
  if (q.offset !== undefined) params.set('offset', String(q.offset));
  if (q.from !== undefined) params.set('from', q.from);
  const qs = params.toString();
  return `/jobs/${encodeURIComponent(mirror)}/log${stream ? '/stream' : ''}${qs ? `?${qs}` : ''}`;
}

function get(conn: LogConnection, path: string, headers: Record<string, string>, signal?: AbortSignal): Promise<IncomingMessage> {
  const url = new URL(path, conn.baseUrl);
  const https = url.protocol === 'https:';
  const all: Record<string, string> = { 'user-agent': 'tunasynctl', ...headers };
  if (conn.token) all.authorization = `Bearer ${conn.token}`;
  return new Promise((resolve, reject) => {
    const options = {
      method: 'GET',
      headers: all,
      ...(signal ? { signal } : {}),
      ...(https && conn.caCert ? { ca: readFileSync(conn.caCert) } : {}),
      ...(https && conn.clientCert ? { cert: readFileSync(conn.clientCert), key: readFileSync(conn.clientKey ?? '') } : {}),
    };
    const req = (https ? httpsRequest : httpRequest)(url, options, resolve);
    req.on('error', (err) => reject(new ManagerRequestError('unreachable', `cannot reach the manager at ${conn.baseUrl}: ${err.message}`, { url: url.href, cause: err })));
    req.end();
  });
}

async function readBody(res: IncomingMessage): Promise<string> {
  res.setEncoding('utf8');
  let text = '';
  for await (const chunk of res) text += chunk as string;
  return text;
}

async function failure(res: IncomingMessage, url: string): Promise<ManagerRequestError> {
  const status = res.statusCode ?? 0;
  const body = await readBody(res).catch(() => '');
  let message = `the manager answered ${status}`;
  let code: string | undefined;
  try {
    const o = JSON.parse(body) as { error?: unknown; code?: unknown };
    if (typeof o.error === 'string') message = o.error;
    if (typeof o.code === 'string') code = o.code;
  } catch {
    // not JSON
  }
  if (status === 401) return new ManagerRequestError('unauthorized', `token missing or wrong: ${message}`, { url, status });
  if (status === 404 && code === undefined) return new ManagerRequestError('unsupported', NO_LOGS_MESSAGE, { url, status });
  return new ManagerRequestError('rejected', message, { url, status, ...(code !== undefined ? { managerCode: code } : {}) });
}

/** `GET /jobs/:mirror/log`: the whole answer. */
export async function readLog(conn: LogConnection, mirror: string, q: LogQuery): Promise<LogText> {
  const path = pathFor(mirror, false, q);
  const res = await get(conn, path, {});
  if (res.statusCode !== 200) throw await failure(res, conn.baseUrl + path);
  const text = await readBody(res);
  const runId = res.headers['x-run-id'];
  const size = Number(res.headers['x-log-size']);
  return { text, ...(typeof runId === 'string' ? { runId } : {}), ...(Number.isFinite(size) ? { size } : {}) };
}

/** Options of followLog. */
export interface FollowOptions {
  /** Called with each log line (without newline). */
  onLine(line: string): void;
  /** Stops following (Ctrl-C); the job is not touched. */
  signal?: AbortSignal;
  /** Reconnects after a dropped stream before giving up (default 5). */
  reconnects?: number;
}

/**
 * Follows `GET /jobs/:mirror/log/stream` until its `end` event; resolves
 * with it, or with undefined when stopped by `signal`. A dropped connection
 * is resumed from the last event id.
 */
export async function followLog(conn: LogConnection, mirror: string, q: LogQuery, o: FollowOptions): Promise<RunEnd | undefined> {
  let lastId: string | undefined;
  let retryMs = 3000;
  let left = o.reconnects ?? 5;
  for (;;) {
    if (o.signal?.aborted) return undefined;
    const path = pathFor(mirror, true, q);
    let res: IncomingMessage;
    try {
      res = await get(conn, path, { accept: 'text/event-stream', ...(lastId !== undefined ? { 'last-event-id': lastId } : {}) }, o.signal);
    } catch (err) {
      if (o.signal?.aborted) return undefined;
      if (lastId === undefined || left-- <= 0) throw err;
      await sleep(retryMs, undefined, o.signal ? { signal: o.signal } : {}).catch(() => undefined);
      continue;
    }
    if (res.statusCode !== 200) throw await failure(res, conn.baseUrl + path);
    const parser = new SseParser();
    res.setEncoding('utf8');
    let end: RunEnd | undefined;
    try {
      for await (const chunk of res) {
        for (const e of parser.push(chunk as string)) {
          if (e.id !== undefined) lastId = e.id;
          if (e.event === 'line') o.onLine(e.data);
          else if (e.event === 'end') end = parseEnd(e);
        }
        if (end) break;
      }
    } catch {
      // the connection dropped (or was aborted): decided below
    }
    res.destroy();
    if (end) return end;
    if (o.signal?.aborted) return undefined;
    retryMs = parser.retryMs ?? retryMs;
    if (left-- <= 0) throw new ManagerRequestError('unreachable', 'the log stream kept dropping', { url: conn.baseUrl + path });
    await sleep(retryMs, undefined, o.signal ? { signal: o.signal } : {}).catch(() => undefined);
  }
}

function parseEnd(e: SseEvent): RunEnd {
  try {
    const o = JSON.parse(e.data) as { run_id?: unknown; result?: unknown };
    return { run_id: typeof o.run_id === 'string' ? o.run_id : null, result: typeof o.result === 'string' ? o.result : 'unknown' };
  } catch {
    return { run_id: null, result: 'unknown' };
  }
}
