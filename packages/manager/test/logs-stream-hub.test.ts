/**
 * The manager's shared log streams (stream-hub.ts), in front of a fake
 * worker whose SSE answers the test writes: clients following the same log
 * at once share one request to the worker and get the same bytes (a late
 * joiner within the window gets what the stream brought first); a client
 * after the window gets a request of its own; the request is aborted when
 * the last client goes; a client that stops reading is dropped with
 * `slow_client` after the stall wait while the others get everything; a
 * refusal reaches every waiting client.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createManagerApp, managerLogRoutes } from '@tunasync/manager';
import { captureLogger, manualTimers, openSse, serve, until, type TestSse } from '@tunasync/testkit';
import { call, makeConfig, startTestManager, statusBody, workerBody } from './helpers.js';

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

const JOIN_WINDOW_MS = 2_000;
const STALL_MS = 10_000;

/** A worker control server whose log streams the test writes to. */
interface FakeLogWorker {
  url: string;
  /** Every stream request, in order: its path and whether it was closed. */
  requests: { url: string; lastEventId: string | undefined; res: ServerResponse; closed: boolean }[];
  /** Answer new requests with this status (and no body of ours), or 200. */
  refuse: number | undefined;
}

async function fakeLogWorker(): Promise<FakeLogWorker> {
  const fake: FakeLogWorker = { url: '', requests: [], refuse: undefined };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (fake.refuse !== undefined) {
      res.writeHead(fake.refuse, { 'content-type': 'text/plain' }).end('404 page not found');
      return;
    }
    const entry = { url: req.url ?? '', lastEventId: req.headers['last-event-id'] as string | undefined, res, closed: false };
    fake.requests.push(entry);
    res.on('close', () => (entry.closed = true));
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-run-id': 'run-7' });
    res.flushHeaders();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return fake;
}

/** A manager app with the log routes on injected timers and clock, in front of `fake` as worker w1 with mirror m. */
async function setUp(fake: FakeLogWorker, queueBytes = 16 * 1024 * 1024, storeDelayMs = 0) {
  const m = await startTestManager({ config: makeConfig({ auth: { publicLogs: true } }) });
  cleanups.push(() => m.close());
  await call(m.url, 'POST', '/workers', { body: workerBody('w1', fake.url) });
  await call(m.url, 'POST', '/workers/w1/jobs/m', { body: statusBody('w1', 'm', 'syncing') });
  const timers = manualTimers();
  const clock = { ms: 1_000_000 };
  // A store that answers the worker lookups late (as a database over the network does).
  const slowRead = new Set(['listWorkers', 'listAllMirrorStatus', 'listMirrorStatus']);
  const store =
    storeDelayMs > 0
      ? new Proxy(m.store, {
          get(target, key, receiver) {
            const v = Reflect.get(target, key, receiver) as unknown;
            if (typeof v !== 'function') return v;
            if (!slowRead.has(String(key))) return (v as (...a: unknown[]) => unknown).bind(target);
            return async (...args: unknown[]) => {
              await new Promise((r) => setTimeout(r, storeDelayMs));
              return (v as (...a: unknown[]) => unknown).apply(target, args);
            };
          },
        })
      : m.store;
  const app = createManagerApp({
    config: m.config,
    store,
    logger: captureLogger().logger,
    clock: m.clock,
    routes: [managerLogRoutes({ streams: { timers, queueBytes, now: () => clock.ms } })],
  });
  const served = await serve(app);
  cleanups.push(() => served.close());
  const follow = async (query = 'tail=10'): Promise<TestSse> => {
    const s = await openSse(`${served.url}/jobs/m/log/stream?${query}`);
    cleanups.push(() => s.close());
    return s;
  };
  return { follow, timers, clock, url: served.url };
}

const event = (id: number, text: string): string => `id: ${id}\nevent: line\ndata: ${text}\n\n`;
const lines = (s: TestSse): string[] => s.events.filter((e) => e.event === 'line').map((e) => `${e.id} ${e.data}`);

describe('shared log streams at the manager', () => {
  it('clients following a log at once share one request to the worker, and get the same bytes', async () => {
    const fake = await fakeLogWorker();
    const { follow, clock } = await setUp(fake);
    const [a, b] = await Promise.all([follow(), follow()]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(a.headers['x-run-id']).toBe('run-7');
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]!.url).toBe('/jobs/m/log/stream?tail=10');
    fake.requests[0]!.res.write(event(10, 'one'));
    await until(() => (lines(a).length === 1 && lines(b).length === 1 ? true : undefined), 'both clients to get the first line');
    // Within the window, a third client joins the same request: it gets what came before it first.
    clock.ms += JOIN_WINDOW_MS - 1;
    const c = await follow();
    await until(() => (lines(c).length === 1 ? true : undefined), 'the late client to get the kept line');
    expect(fake.requests).toHaveLength(1);
    fake.requests[0]!.res.write(event(20, 'two') + ': keep-alive\n\n' + event(30, 'three'));
    await until(() => ([a, b, c].every((s) => lines(s).length === 3) ? true : undefined), 'every client to get three lines');
    expect(lines(a)).toEqual(['10 one', '20 two', '30 three']);
    expect(b.raw()).toBe(a.raw());
    expect(c.raw()).toBe(a.raw());
    // Past the window, a new client gets a request of its own.
    clock.ms += 2;
    const d = await follow();
    expect(fake.requests).toHaveLength(2);
    // Another way of following (another query) never shares.
    const e = await follow('offset=0');
    expect(fake.requests).toHaveLength(3);
    e.close();
    // The first request is aborted when its last client goes, not before.
    a.close();
    b.close();
    await new Promise((r) => setTimeout(r, 100));
    expect(fake.requests[0]!.closed).toBe(false);
    c.close();
    await until(() => (fake.requests[0]!.closed && fake.requests[2]!.closed ? true : undefined), 'the shared request to be aborted');
    expect(fake.requests[1]!.closed).toBe(false);
    // The worker ending the stream ends the client's answer.
    fake.requests[1]!.res.end(event(40, 'last'));
    await d.ended;
    expect(lines(d)).toEqual(['40 last']);
  });

  it('a client that stops reading is dropped with slow_client after the stall wait; the others get every byte', async () => {
    const fake = await fakeLogWorker();
    const { follow, timers } = await setUp(fake, 1024 * 1024);
    const [fast, slow] = await Promise.all([follow(), follow()]);
    slow.pause();
    expect(fake.requests).toHaveLength(1);
    // The worker writes 24 MB of lines as fast as the manager takes them.
    const up = fake.requests[0]!.res;
    const line = 'x'.repeat(1000);
    let id = 0;
    const writing = (async () => {
      while (id < 24_000) {
        id++;
        if (!up.write(event(id * 1001, line))) await new Promise((r) => up.once('drain', r));
      }
      up.end();
    })();
    // The slow client holds the stream up: the stall wait is ended whenever the fast one stopped getting
    // bytes (then it is not behind itself), until it has the whole stream.
    let fired = 0;
    let fastEnded = false;
    let seen = -1;
    void fast.ended.then(() => (fastEnded = true));
    await until(() => {
      if (fastEnded) return true;
      const got = fast.raw().length;
      if (got === seen) fired += timers.fire(STALL_MS);
      seen = got;
      return undefined;
    }, 'the fast client to get the whole stream');
    expect(fired).toBeGreaterThan(0);
    await writing;
    expect(lines(fast)).toHaveLength(24_000);
    expect(lines(fast)[23_999]).toBe(`${24_000 * 1001} ${line}`);
    slow.resume();
    await until(() => {
      if (slow.events.some((e) => e.event === 'error')) return true;
      throw new Error(`the slow client has ${slow.raw().length} bytes, ${lines(slow).length} lines, ending …${JSON.stringify(slow.raw().slice(-120))}`);
    }, "the slow client's error event");
    const last = slow.events[slow.events.length - 1]!;
    expect(last.event).toBe('error');
    expect(JSON.parse(last.data)).toMatchObject({ code: 'slow_client', error: expect.stringContaining('1048576 bytes behind') });
    expect(lines(slow).length).toBeLessThan(24_000);
    expect(fake.requests).toHaveLength(1);
  });

  it('what a stream brought is let go when the join window ends, even while the log is idle', async () => {
    const fake = await fakeLogWorker();
    const { follow, timers } = await setUp(fake);
    const a = await follow();
    fake.requests[0]!.res.write(event(10, 'one'));
    await until(() => (lines(a).length === 1 ? true : undefined), 'the first line');
    expect(timers.fire(JOIN_WINDOW_MS)).toBe(1); // nothing came since; the clock did not move
    const b = await follow();
    expect(fake.requests).toHaveLength(2);
    fake.requests[1]!.res.write(event(20, 'two'));
    await until(() => (lines(b).length === 1 ? true : undefined), 'the new stream');
    expect(lines(b)).toEqual(['20 two']);
    expect(lines(a)).toEqual(['10 one']);
  });

  it('a client gone before the lookup of its worker ended leaves nothing open, and holds no stream slot', async () => {
    const fake = await fakeLogWorker();
    const { url } = await setUp(fake, undefined, 100);
    // More clients than an address may hold streams, each gone while the manager looks up the worker.
    for (let i = 0; i < 34; i++) {
      const req = request(`${url}/jobs/m/log/stream?tail=${i}`, { headers: { accept: 'text/event-stream' } });
      req.on('error', () => undefined);
      req.end();
      await new Promise((r) => setTimeout(r, 20));
      req.destroy();
    }
    await new Promise((r) => setTimeout(r, 300)); // the last lookups end
    await until(() => (fake.requests.every((r) => r.closed) ? true : undefined), 'every request that reached the worker to be closed');
    const s = await openSse(`${url}/jobs/m/log/stream?tail=1`);
    cleanups.push(() => s.close());
    expect(s.status).toBe(200);
  });

  it('a refusal reaches every client that asked, and nothing of it is kept', async () => {
    const fake = await fakeLogWorker();
    fake.refuse = 404;
    const { url, follow } = await setUp(fake);
    const [a, b] = await Promise.all([call(url, 'GET', '/jobs/m/log/stream?tail=10'), call(url, 'GET', '/jobs/m/log/stream?tail=10')]);
    for (const r of [a, b]) {
      expect(r.status).toBe(501);
      expect(r.body).toEqual({ error: 'worker w1 does not serve logs', code: 'logs_unsupported' });
    }
    // Once the worker serves logs, the same request gets a stream (within the join window).
    fake.refuse = undefined;
    const s = await follow('tail=10');
    expect(s.status).toBe(200);
    expect(fake.requests).toHaveLength(1);
  });
});
