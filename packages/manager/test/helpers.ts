/**
 * The manager's test fixtures, on @tunasync/testkit: a real manager on
 * 127.0.0.1:0 over a SQLite file in a temp dir with a hand-moved clock and
 * its log lines, request bodies as workers send them, and a fake worker
 * control server.
 */
import express from 'express';
import type { JobStore, ManagerConfig } from '@tunasync/core';
import { createManagerApp } from '@tunasync/manager';
import {
  TestClock,
  captureLogger,
  request,
  serve,
  startTestManager as startKitManager,
  testManagerConfig,
  type Answer,
  type TestManager as KitManager,
} from '@tunasync/testkit';

/** `call(base, method, path, { body, raw, token, headers })`: one request, never throwing on an HTTP error status. */
export { TestClock, captureLogger, request as call, type Answer };

/** A manager config with tunasync's defaults and the given `[auth]`/`[files]` changes. */
export function makeConfig(parts: { auth?: Partial<ManagerConfig['auth']>; files?: Partial<ManagerConfig['files']> } = {}): ManagerConfig {
  return testManagerConfig(parts.files?.dbFile ?? ':memory:', parts);
}

/** A manager under test, its clock a TestClock. */
export interface TestManager extends KitManager {
  clock: TestClock;
}

/**
 * Starts a real manager over a fresh SQLite file in a temp dir (removed by
 * close()); `config` contributes its `[auth]`, `[server]` (on port 0) and `[limits]`. `timeZone` is not a
 * startManager option (yet): with it, an app over the same store and clock is
 * served in place of the manager's own server.
 */
export async function startTestManager(
  options: { config?: ManagerConfig; store?: JobStore; commandTimeoutMs?: number; timeZone?: string } = {},
): Promise<TestManager> {
  const clock = new TestClock();
  const m = await startKitManager({
    clock,
    commandTimeoutMs: options.commandTimeoutMs ?? 2000,
    ...(options.config ? { auth: options.config.auth, server: { ...options.config.server, port: 0 }, ...(options.config.limits ? { limits: options.config.limits } : {}) } : {}),
    ...(options.store ? { store: options.store } : {}),
  });
  if (options.timeZone === undefined) return Object.assign(m, { clock });
  // Serve the same store through an app with the time zone, in place of the manager's own server.
  const { logger, lines, text } = captureLogger();
  const app = createManagerApp({ config: m.config, store: m.store, logger, clock, timeZone: options.timeZone });
  const served = await serve(app);
  const close = m.close;
  return Object.assign(m, {
    clock, url: served.url, base: served.url, lines, text,
    call: (method: string, path: string, body?: unknown, token?: string) =>
      request(served.url, method, path, { ...(body !== undefined ? { body } : {}), ...(token !== undefined ? { token } : {}) }),
    close: async () => {
      await served.close();
      await close();
    },
  });
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
  const served = await serve(app);
  return Object.assign(fake, { url: `${served.url}/`, close: served.close });
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
