/**
 * `GET /events` (issue 17): Server-Sent Events over the store's change feed
 * (SQLite emits after each commit), resumable with Last-Event-ID from a
 * bounded buffer, keep-alives on an injected ticker, a per-address cap, and
 * a polling fallback for stores without a change feed.
 */
import http from 'node:http';
import { afterEach, describe, expect, it } from '@jest/globals';
import express from 'express';
import { Authenticator, SqliteJobStore, SseStream, eventsRoutes, type ManagerRouteContext, type Ticker } from '@tunasync/manager';
import { captureLogger, serve, startTestManager, until, type TestManager } from '@tunasync/testkit';
import { emptyMirrorStatus, systemClock, type JobStore, type StoreChange } from '@tunasync/core';

interface SseEvent {
  id?: string;
  event?: string;
  data: string;
}

/** A raw SSE client (node:http): every event and comment it got. */
function openStream(url: string, headers: Record<string, string> = {}) {
  const events: SseEvent[] = [];
  const comments: string[] = [];
  let raw = '';
  let status = 0;
  let contentType = '';
  const req = http.get(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
    status = res.statusCode ?? 0;
    contentType = String(res.headers['content-type']);
    res.setEncoding('utf8');
    let buf = '';
    res.on('data', (chunk: string) => {
      raw += chunk;
      buf += chunk;
      let i: number;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const e: SseEvent = { data: '' };
        const data: string[] = [];
        let isEvent = false;
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) comments.push(line);
          else if (line.startsWith('id: ')) (e.id = line.slice(4)), (isEvent = true);
          else if (line.startsWith('event: ')) (e.event = line.slice(7)), (isEvent = true);
          else if (line.startsWith('data: ')) data.push(line.slice(6));
        }
        e.data = data.join('\n');
        if (isEvent) events.push(e);
      }
    });
  });
  req.on('error', () => undefined);
  return {
    events,
    comments,
    raw: () => raw,
    status: () => status,
    contentType: () => contentType,
    close: () => void req.destroy(),
  };
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function manager(): Promise<TestManager> {
  const m = await startTestManager();
  cleanups.push(() => m.close());
  expect((await m.call('POST', '/workers', { id: 'w1', url: 'http://127.0.0.1:1/' })).status).toBe(200);
  return m;
}

const report = (m: TestManager, name: string, status: string, extra: Record<string, unknown> = {}) =>
  m.call('POST', `/workers/w1/jobs/${name}`, { name, worker: 'w1', is_master: true, status, upstream: `rsync://up/${name}/`, size: '1G', ...extra });

describe('GET /events', () => {
  it('sends retry first, then each job change as its exact /jobs entry, with an id', async () => {
    const m = await manager();
    const s = openStream(`${m.url}/events`);
    cleanups.push(s.close);
    await until(() => (s.raw().startsWith('retry: 3000\n\n')) || undefined, 'retry line', 3000);
    expect(s.status()).toBe(200);
    expect(s.contentType()).toMatch(/^text\/event-stream/);
    expect((await report(m, 'debian', 'syncing')).status).toBe(200);
    await until(() => (s.events.some((e) => e.event === 'job')) || undefined, 'a job event', 3000);
    const job = s.events.find((e) => e.event === 'job')!;
    const jobs = (await m.call('GET', '/jobs')).body as unknown[];
    expect(JSON.parse(job.data)).toEqual(jobs[0]);
    expect(Object.keys(JSON.parse(job.data))).toEqual(Object.keys(jobs[0] as object));
    for (const e of s.events) expect(e.id).toMatch(/^[0-9a-z]+-\d+$/);
  });

  it('sends worker events with the token redacted', async () => {
    const m = await manager();
    const s = openStream(`${m.url}/events`);
    cleanups.push(s.close);
    await until(() => (s.raw().includes('retry:')) || undefined, 'stream open', 3000);
    await m.call('POST', '/workers', { id: 'w2', url: 'http://127.0.0.1:2/', token: 'secret-token' });
    await until(() => (s.events.some((e) => e.event === 'worker' && JSON.parse(e.data).id === 'w2')) || undefined, 'a worker event', 3000);
    expect(s.raw()).not.toContain('secret-token');
    // Each report refreshes w1's last_online; that alone is told at most once a minute.
    for (const name of ['a', 'b', 'c']) await report(m, name, 'success');
    await until(() => (s.events.filter((e) => e.event === 'job').length >= 3) || undefined, 'three job events', 3000);
    expect(s.events.filter((e) => e.event === 'worker' && JSON.parse(e.data).id === 'w1').length).toBeLessThanOrEqual(1);
  });

  it('resumes from Last-Event-ID with exactly the missed events; an unknown or too old id gets resync', async () => {
    const m = await manager();
    const keep = openStream(`${m.url}/events`);
    cleanups.push(keep.close);
    await until(() => (keep.raw().includes('retry:')) || undefined, 'stream open', 3000);
    await report(m, 'a', 'syncing');
    await until(() => (keep.events.some((e) => e.event === 'job')) || undefined, 'first event', 3000);
    const seen = keep.events.at(-1)!.id!;
    await report(m, 'b', 'syncing');
    await report(m, 'c', 'success');
    await until(() => (keep.events.filter((e) => e.event === 'job').length >= 3) || undefined, 'three job events', 3000);

    const resumed = openStream(`${m.url}/events`, { 'last-event-id': seen });
    cleanups.push(resumed.close);
    await until(() => (resumed.events.filter((e) => e.event === 'job').length >= 2) || undefined, 'the missed events', 3000);
    const after = keep.events.slice(keep.events.findIndex((e) => e.id === seen) + 1);
    expect(resumed.events.map((e) => e.id)).toEqual(after.map((e) => e.id));
    expect(resumed.events.filter((e) => e.event === 'job').map((e) => JSON.parse(e.data).name)).toEqual(['b', 'c']);

    const stale = openStream(`${m.url}/events`, { 'last-event-id': 'zzz-5' });
    cleanups.push(stale.close);
    await until(() => (stale.events.length > 0) || undefined, 'resync', 3000);
    expect(stale.events[0]!.event).toBe('resync');
  });

  it('caps open streams per client address (429 too_many_streams) and frees the slot when one closes', async () => {
    const m = await manager();
    const open = Array.from({ length: 8 }, () => openStream(`${m.url}/events`));
    for (const s of open) cleanups.push(s.close);
    await until(() => (open.every((s) => s.status() === 200)) || undefined, 'eight streams', 3000);
    const ninth = await m.call('GET', '/events');
    expect(ninth.status).toBe(429);
    expect(ninth.body.code).toBe('too_many_streams');
    open[0]!.close();
    await until(async () => {
      const s = openStream(`${m.url}/events`);
      cleanups.push(s.close);
      await until(() => (s.status() !== 0) || undefined, 'answer', 3000);
      return s.status() === 200 || undefined;
    }, 'a free slot', 3000);
  });

  it('needs read scope, as /jobs', async () => {
    const m = await startTestManager({ auth: { publicRead: false, adminTokens: ['adm'] } });
    cleanups.push(() => m.close());
    const denied = await m.call('GET', '/events');
    expect(denied.status).toBe(401);
    const s = openStream(`${m.url}/events`, { authorization: 'Bearer adm' });
    cleanups.push(s.close);
    await until(() => (s.status() === 200) || undefined, 'stream with a token', 3000);
  });

  it('ends open streams when the manager stops', async () => {
    const m = await startTestManager({ drainTimeoutMs: 10_000 });
    const s = openStream(`${m.url}/events`);
    cleanups.push(s.close);
    await until(() => (s.status() === 200) || undefined, 'stream', 3000);
    const t0 = Date.now();
    await m.close();
    // Without ending the streams, close() would wait for the drain timeout (10 s).
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});

/** A ticker the test fires by hand. */
function manualTicker(): { ticker: Ticker; fire(ms: number): void } {
  const timers: { fn: () => void; ms: number }[] = [];
  return {
    ticker: (fn, ms) => {
      const t = { fn, ms };
      timers.push(t);
      return () => timers.splice(timers.indexOf(t), 1);
    },
    fire: (ms) => {
      for (const t of [...timers]) if (t.ms === ms) t.fn();
    },
  };
}

async function appWith(store: JobStore, options: Parameters<typeof eventsRoutes>[0]) {
  const app = express();
  const router = express.Router();
  const ctx: ManagerRouteContext = {
    config: { debug: false, server: { addr: '127.0.0.1', port: 0, sslCert: '', sslKey: '', clientCa: '' }, files: { dbType: 'sqlite', dbFile: ':memory:', caCert: '' }, auth: { workerToken: '', workerTokens: {}, adminTokens: [], publicRead: true } },
    store,
    logger: captureLogger().logger,
    clock: systemClock,
    auth: new Authenticator({ workerToken: '', workerTokens: {}, adminTokens: [], publicRead: true }),
    jsonBody: express.json(),
  };
  eventsRoutes(options).mount(router, ctx);
  app.use(router);
  const served = await serve(app);
  cleanups.push(() => served.close());
  return served;
}

describe('event stream timers and sources', () => {
  it('sends a keep-alive comment on each tick of its (injected) 15 s ticker', async () => {
    const store = new SqliteJobStore(':memory:');
    await store.init();
    cleanups.push(() => store.close());
    const t = manualTicker();
    const { url } = await appWith(store, { ticker: t.ticker });
    const s = openStream(`${url}/events`);
    cleanups.push(s.close);
    await until(() => (s.status() === 200) || undefined, 'stream', 3000);
    expect(s.comments).toEqual([]);
    t.fire(15_000);
    t.fire(15_000);
    await until(() => (s.comments.length === 2) || undefined, 'two keep-alives', 3000);
    expect(s.comments).toEqual([': keep-alive', ': keep-alive']);
  });

  it('answers resync to a Last-Event-ID older than its bounded buffer', async () => {
    const store = new SqliteJobStore(':memory:');
    await store.init();
    cleanups.push(() => store.close());
    const { url } = await appWith(store, { bufferSize: 2 });
    const s = openStream(`${url}/events`);
    cleanups.push(s.close);
    await until(() => (s.status() === 200) || undefined, 'stream', 3000);
    for (const name of ['a', 'b', 'c', 'd']) {
      await store.updateMirrorStatus('w1', name, () => ({ ...emptyMirrorStatus(name, 'w1'), status: 'success' }));
      await until(() => (s.events.some((e) => JSON.parse(e.data).name === name)) || undefined, `event ${name}`, 3000);
    }
    const [a, b, c] = s.events.map((e) => e.id!);
    const fromB = openStream(`${url}/events`, { 'last-event-id': b! });
    cleanups.push(fromB.close);
    await until(() => (fromB.events.length >= 2) || undefined, 'c and d', 3000);
    expect(fromB.events.map((e) => JSON.parse(e.data).name)).toEqual(['c', 'd']);
    expect(c).toBe(fromB.events[0]!.id);
    const fromA = openStream(`${url}/events`, { 'last-event-id': a! });
    cleanups.push(fromA.close);
    await until(() => (fromA.events.length >= 1) || undefined, 'resync', 3000);
    expect(fromA.events.map((e) => e.event)).toEqual(['resync']);
  });

  it('polls a store without a change feed and sends what changed', async () => {
    const sqlite = new SqliteJobStore(':memory:');
    await sqlite.init();
    cleanups.push(() => sqlite.close());
    // The same store without the optional capability.
    const store = new Proxy(sqlite, { get: (target, key) => (key === 'watchChanges' ? undefined : Reflect.get(target, key, target)) }) as JobStore;
    expect('watchChanges' in sqlite).toBe(true);
    const t = manualTicker();
    const { url } = await appWith(store, { ticker: t.ticker, pollMs: 1000 });
    const s = openStream(`${url}/events`);
    cleanups.push(s.close);
    await until(() => (s.status() === 200) || undefined, 'stream', 3000);
    await new Promise((r) => setTimeout(r, 50));
    await sqlite.updateMirrorStatus('w1', 'arch', () => ({ ...emptyMirrorStatus('arch', 'w1'), status: 'syncing' }));
    expect(s.events).toEqual([]);
    t.fire(1000);
    await until(() => (s.events.some((e) => e.event === 'job')) || undefined, 'a polled job event', 3000);
    expect(JSON.parse(s.events.find((e) => e.event === 'job')!.data)).toMatchObject({ name: 'arch', status: 'syncing' });
  });
});

describe('SseStream back-pressure', () => {
  it('stops writing when the socket is full, queues a bounded amount, then closes a client that does not read', async () => {
    let stream: SseStream | undefined;
    let written = 0;
    const app = express();
    app.get('/s', (_req, res) => {
      const write = res.write.bind(res);
      res.write = ((chunk: string) => {
        written += Buffer.byteLength(chunk);
        return write(chunk);
      }) as typeof res.write;
      stream = new SseStream(res, { ticker: () => () => undefined, maxQueuedBytes: 256 * 1024 });
    });
    const { url } = await appServe(app);
    // A client that never reads.
    const req = http.get(`${url}/s`, (res) => res.pause());
    cleanups.push(() => void req.destroy());
    await until(() => stream, 'stream', 3000);
    const chunk = 'x'.repeat(16 * 1024);
    let sent = 0;
    for (let i = 0; i < 2000 && !stream!.ended; i++) {
      stream!.send('job', chunk, String(i));
      sent += chunk.length;
      if (i % 50 === 0) await new Promise((r) => setTimeout(r, 5));
    }
    expect(stream!.ended).toBe(true);
    // Far less reached the socket than was offered: writing paused, the queue stayed bounded, then the stream closed.
    expect(written).toBeLessThan(sent);
  });
});

async function appServe(app: express.Express) {
  const served = await serve(app);
  cleanups.push(() => served.close());
  return served;
}

describe('SQLite change feed', () => {
  it('tells watchers after a write committed, never for a failed write, and stops after unsubscribe', async () => {
    const store = new SqliteJobStore(':memory:');
    await store.init();
    cleanups.push(() => store.close());
    const got: StoreChange[] = [];
    const stop = store.watchChanges((c) => got.push(c));
    const write = store.updateMirrorStatus('w1', 'debian', () => ({ ...emptyMirrorStatus('debian', 'w1'), status: 'success' }));
    expect(got).toEqual([]);
    await write;
    expect(got).toEqual([{ kind: 'status', worker: 'w1', mirror: 'debian' }]);
    await expect(
      store.updateMirrorStatus('w1', 'x', () => {
        throw new Error('no');
      }),
    ).rejects.toThrow('no');
    expect(got).toHaveLength(1);
    await store.createWorker({ id: 'w9', url: 'http://x/', token: '', lastOnline: new Date(), lastRegister: new Date() });
    expect(got.at(-1)).toEqual({ kind: 'worker', worker: 'w9' });
    stop();
    await store.deleteMirrorStatus('w1', 'debian');
    expect(got).toHaveLength(2);
  });
});
