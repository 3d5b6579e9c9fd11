/**
 * Shared test fixtures: a manager app on 127.0.0.1:0 over a real SQLite file,
 * a controllable clock, a log capture, and a fake worker control server.
 */
import { Writable } from 'node:stream';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { createLogger, type Clock, type JobStore, type ManagerConfig } from '@tunasync/core';
import { SqliteJobStore, createManagerApp } from '@tunasync/manager';

/** A clock tests move by hand. */
export class TestClock implements Clock {
  private t: number;
  constructor(start = '2026-11-21T06:00:00.000Z') {
    this.t = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.t);
  }
  /** Moves the clock forward by `ms`. */
  advance(ms: number): Date {
    this.t += ms;
    return this.now();
  }
}

/** A manager config with tunasync's defaults and the given `[auth]`/`[files]` changes. */
export function makeConfig(parts: { auth?: Partial<ManagerConfig['auth']>; files?: Partial<ManagerConfig['files']> } = {}): ManagerConfig {
  return {
    debug: false,
    server: { addr: '127.0.0.1', port: 0, sslCert: '', sslKey: '', clientCa: '' },
    files: { dbType: 'sqlite', dbFile: ':memory:', caCert: '', ...parts.files },
    auth: { workerToken: '', workerTokens: {}, adminTokens: [], publicRead: true, ...parts.auth },
  };
}

/** Collects log lines. */
export function captureLogger(): { logger: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { logger: createLogger({ stream, debug: true, systemd: true }), lines };
}

/** Listens on 127.0.0.1:0; resolves with the server and its base URL. */
export async function listen(app: express.Express): Promise<{ server: Server; url: string }> {
  return new Promise((resolve, reject) => {
    const server = app.listen(0, '127.0.0.1', (err?: Error) => {
      if (err) return reject(err);
      const { port } = server.address() as AddressInfo;
      resolve({ server, url: `http://127.0.0.1:${port}` });
    });
  });
}

/** Closes a server and every connection it holds. */
export async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** A manager under test. */
export interface TestManager {
  url: string;
  store: JobStore;
  clock: TestClock;
  lines: string[];
  dir: string;
  dbFile: string;
  close(): Promise<void>;
}

/** Starts createManagerApp over a fresh SQLite file in a temp dir. */
export async function startTestManager(
  options: { config?: ManagerConfig; store?: JobStore; commandTimeoutMs?: number; timeZone?: string } = {},
): Promise<TestManager> {
  const dir = mkdtempSync(join(tmpdir(), 'tunasync-mgr-'));
  const dbFile = join(dir, 'manager.db');
  const store = options.store ?? new SqliteJobStore(dbFile);
  await store.init();
  const clock = new TestClock();
  const { logger, lines } = captureLogger();
  const app = createManagerApp({
    config: options.config ?? makeConfig(),
    store,
    logger,
    clock,
    commandTimeoutMs: options.commandTimeoutMs ?? 2000,
    ...(options.timeZone ? { timeZone: options.timeZone } : {}),
  });
  const { server, url } = await listen(app);
  return {
    url,
    store,
    clock,
    lines,
    dir,
    dbFile,
    async close() {
      await closeServer(server);
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A parsed HTTP answer. */
export interface Answer {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  text: string;
  contentType: string | null;
}

/** Sends a request; `body` is JSON-encoded unless `raw` is given. */
export async function call(
  base: string,
  method: string,
  path: string,
  opts: { body?: unknown; raw?: string | Buffer; token?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...opts.headers };
  let body: string | Buffer | undefined;
  if (opts.raw !== undefined) body = opts.raw;
  else if (opts.body !== undefined) body = JSON.stringify(opts.body);
  if (body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json; charset=utf-8';
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  const res = await fetch(base + path, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, body: parsed, text, contentType: res.headers.get('content-type') };
}

/** A worker's control server that records what the manager posts. */
export interface FakeWorker {
  url: string;
  received: { body: unknown; authorization: string | undefined; contentType: string | undefined }[];
  /** What to answer next (default 200 {"msg":"OK"}). */
  reply: { status: number; body: unknown };
  /** Delay before answering, in ms. */
  delayMs: number;
  close(): Promise<void>;
}

/** Starts a fake worker control server on 127.0.0.1:0. */
export async function startFakeWorker(): Promise<FakeWorker> {
  const app = express();
  app.use(express.json());
  const fake: Omit<FakeWorker, 'url' | 'close'> = { received: [], reply: { status: 200, body: { msg: 'OK' } }, delayMs: 0 };
  app.post('/', async (req, res) => {
    fake.received.push({ body: req.body, authorization: req.headers.authorization, contentType: req.headers['content-type'] });
    if (fake.delayMs > 0) await new Promise((r) => setTimeout(r, fake.delayMs));
    res.status(fake.reply.status).json(fake.reply.body);
  });
  const { server, url } = await listen(app);
  return Object.assign(fake, { url: `${url}/`, close: () => closeServer(server) });
}

/** A WorkerStatus registration body. */
export function workerBody(id: string, url = `http://127.0.0.1:1/`, token = ''): Record<string, unknown> {
  return { id, url, token, last_online: '0001-01-01T00:00:00Z', last_register: '0001-01-01T00:00:00Z' };
}

/** A MirrorStatus report body, as a Go worker sends it. */
export function statusBody(worker: string, name: string, status: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    worker,
    is_master: true,
    status,
    last_update: '0001-01-01T00:00:00Z',
    last_started: '0001-01-01T00:00:00Z',
    last_ended: '0001-01-01T00:00:00Z',
    next_schedule: '0001-01-01T00:00:00Z',
    upstream: 'mirrors.tuna.tsinghua.edu.cn',
    size: 'unknown',
    error_msg: '',
    ...extra,
  };
}
