/**
 * Forwarding a log request to a worker's control server and streaming the
 * answer back: bytes are piped as they come (no whole file is held), the
 * upstream request is aborted when the client goes away, and the worker URL
 * passes the same checks as commands (http(s) only, no link-local address
 * unless allowed; the lookup is guarded too) with the `[files] ca_cert`
 * used for commands. A worker that answers 404/405 without our error body
 * is tunasync's Go worker: 501 `logs_unsupported`.
 */
import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { pipeline } from 'node:stream/promises';
import { TunasyncError, UpstreamError, ValidationError, errorMessage, type Logger, type WorkerStatus } from '@tunasync/core';
import type { Request, Response } from 'express';
import { workerMessage } from '../command.js';
import { LINK_LOCAL_LOOKUP_ERROR, checkWorkerUrl, linkLocalGuard } from '../worker-url.js';

/** Query parameters passed on to the worker. */
export const FORWARDED_PARAMS = ['run', 'tail', 'offset', 'from'] as const;
/** Answer headers passed back to the client. */
const PASSED_HEADERS = ['content-type', 'x-log-size', 'x-log-start', 'x-run-id', 'cache-control'];
/** Longest wait for the worker's answer headers, in ms. */
export const LOG_HEADERS_TIMEOUT_MS = 10_000;
/** Largest error body read from a worker. */
const MAX_ERROR_BODY = 8 * 1024;

/** What a forward needs. */
export interface LogProxyOptions {
  worker: WorkerStatus;
  /** `log` or `log/stream`. */
  route: 'log' | 'log/stream';
  mirror: string;
  /** The token the manager sends to this worker, if any. */
  token: string | undefined;
  /** The CA the manager trusts for workers (`[files] ca_cert`), read once. */
  ca: Buffer | undefined;
  allowWorkerUrls: readonly string[];
  logger: Logger;
}

/** The URL of `route` on the worker, with the forwarded query. */
export function upstreamUrl(o: Pick<LogProxyOptions, 'worker' | 'route' | 'mirror'>, req: Request): URL {
  const base = o.worker.url.endsWith('/') ? o.worker.url : `${o.worker.url}/`;
  const url = new URL(`jobs/${encodeURIComponent(o.mirror)}/${o.route}`, base);
  for (const p of FORWARDED_PARAMS) {
    const v = req.query[p];
    if (v === undefined) continue;
    if (typeof v !== 'string') throw new ValidationError(`${p}: must be given once, as a plain value`, p);
    url.searchParams.set(p, v);
  }
  return url;
}

async function smallBody(res: IncomingMessage): Promise<string> {
  let text = '';
  res.setEncoding('utf8');
  for await (const chunk of res) {
    text += chunk as string;
    if (text.length > MAX_ERROR_BODY) break;
  }
  res.destroy();
  return text;
}

/** The request to send upstream: its URL and headers (the token, `Last-Event-ID` when valid). */
export function upstreamRequest(req: Request, o: LogProxyOptions): { url: URL; headers: OutgoingHttpHeaders } {
  checkWorkerUrl(o.worker.url, o.allowWorkerUrls);
  const url = upstreamUrl(o, req);
  const headers: OutgoingHttpHeaders = { 'user-agent': 'tunasync-ts manager', accept: o.route === 'log' ? 'text/plain' : 'text/event-stream' };
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  const lastId = req.get('last-event-id');
  if (lastId !== undefined && /^\d{1,16}$/.test(lastId)) headers['last-event-id'] = lastId;
  return { url, headers };
}

/** Sends the request upstream; resolves with the answer (its headers), or undefined when `signal` aborted it first. */
export function openUpstream(url: URL, headers: OutgoingHttpHeaders, o: LogProxyOptions, signal: AbortSignal): Promise<IncomingMessage | undefined> {
  const https = url.protocol === 'https:';
  return new Promise<IncomingMessage>((resolve, reject) => {
    const r = (https ? httpsRequest : httpRequest)(
      url,
      {
        method: 'GET',
        headers,
        signal,
        lookup: linkLocalGuard(undefined, o.allowWorkerUrls),
        ...(https && o.ca ? { ca: o.ca } : {}),
      },
      resolve,
    );
    const timer = setTimeout(() => r.destroy(new Error(`no answer within ${LOG_HEADERS_TIMEOUT_MS} ms`)), LOG_HEADERS_TIMEOUT_MS);
    r.on('response', () => clearTimeout(timer));
    r.on('close', () => clearTimeout(timer));
    r.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    r.end();
  }).catch((err: unknown) => {
    if (signal.aborted) return undefined;
    if ((err as NodeJS.ErrnoException).code === LINK_LOCAL_LOOKUP_ERROR) {
      throw new ValidationError(`url: ${errorMessage(err)}`, 'url', 'worker_url_not_allowed');
    }
    const message = `get log from worker ${o.worker.id}(${o.worker.url}) fail: ${errorMessage(err)}`;
    o.logger.error(message, { worker: o.worker.id, job: o.mirror });
    throw new UpstreamError(message, 502, { cause: err, wireCode: 'worker_unreachable' });
  });
}

/** A worker's 4xx with our error body, passed on as it is. */
export interface PassedRefusal {
  status: number;
  body: { error: string; code: string };
}

/**
 * What a non-200 answer becomes: our own 4xx error body is passed on; a
 * bare 404/405 is tunasync's Go worker (501 `logs_unsupported`, thrown);
 * anything else is a 502 (thrown).
 */
export async function upstreamRefusal(upstream: IncomingMessage, worker: WorkerStatus): Promise<PassedRefusal> {
  const status = upstream.statusCode ?? 502;
  const body = await smallBody(upstream);
  let ours: { error: string; code: string } | undefined;
  try {
    const o2 = JSON.parse(body) as { error?: unknown; code?: unknown };
    if (typeof o2.error === 'string' && typeof o2.code === 'string') ours = { error: o2.error, code: o2.code };
  } catch {
    // not our JSON
  }
  if ((status === 404 || status === 405) && !ours) {
    throw new TunasyncError('UPSTREAM_FAILED', 501, `worker ${worker.id} does not serve logs`, { wireCode: 'logs_unsupported' });
  }
  if (ours && status >= 400 && status < 500 && status !== 401 && status !== 403) return { status, body: ours };
  const said = workerMessage(body);
  throw new UpstreamError(`worker ${worker.id} answered ${status}${said !== undefined ? `: ${said}` : ''}`, 502, { wireCode: 'worker_refused' });
}

/** The upstream answer's headers that go to the client (and, for a stream, no proxy buffering). */
export function passedHeaders(upstream: IncomingMessage, route: LogProxyOptions['route']): [string, string | string[]][] {
  const out: [string, string | string[]][] = [];
  for (const h of PASSED_HEADERS) {
    const v = upstream.headers[h];
    if (v !== undefined) out.push([h, v]);
  }
  if (route === 'log/stream') out.push(['x-accel-buffering', 'no']);
  return out;
}

/** Forwards `req` to the worker and pipes the answer into `res` (one upstream request per client). */
export async function proxyLog(req: Request, res: Response, o: LogProxyOptions): Promise<void> {
  const { url, headers } = upstreamRequest(req, o);
  const controller = new AbortController();
  const abort = (): void => controller.abort();
  res.on('close', abort);
  try {
    const upstream = await openUpstream(url, headers, o, controller.signal);
    if (!upstream) return; // the client went away first
    if (upstream.statusCode !== 200) {
      const passed = await upstreamRefusal(upstream, o.worker);
      res.status(passed.status).json(passed.body);
      return;
    }
    res.status(200);
    for (const [h, v] of passedHeaders(upstream, o.route)) res.setHeader(h, v);
    if (o.route === 'log/stream') res.flushHeaders();
    try {
      await pipeline(upstream, res);
    } catch {
      // the client or the worker went away: both ends are closed by pipeline
    }
  } finally {
    res.off('close', abort);
    controller.abort();
  }
}
