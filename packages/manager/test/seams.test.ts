/**
 * The manager's seams (issue 13): route modules mounted before the 404, the
 * `/jobs` cache as a service of its own, and a stable `code` beside every
 * `error` (success bodies unchanged).
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { SqliteJobStore, JobsCache, createManagerApp, type ManagerRouteModule } from '@tunasync/manager';
import { emptyMirrorStatus, type JobStore } from '@tunasync/core';
import { TestClock, call, captureLogger, makeConfig, startTestManager, statusBody, workerBody } from './helpers.js';
import { serve } from '@tunasync/testkit';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function startWith(routes: ManagerRouteModule[], config = makeConfig()): Promise<{ url: string; store: JobStore; lines: string[] }> {
  const store = new SqliteJobStore(':memory:');
  await store.init();
  const { logger, lines } = captureLogger();
  const app = createManagerApp({ config, store, logger, clock: new TestClock(), routes });
  const { url, close } = await serve(app);
  cleanups.push(async () => {
    await close();
    await store.close();
  });
  return { url, store, lines };
}

describe('route modules', () => {
  it('a module mounts its routes before the 404, with the store, clock and auth in its context', async () => {
    const seen: string[] = [];
    const hello: ManagerRouteModule = {
      name: 'hello',
      mount(router, ctx) {
        router.get('/hello', async (req, res) => {
          ctx.auth.requireRead(req);
          const workers = await ctx.store.listWorkers();
          res.json({ workers: workers.length, now: ctx.clock.now().toISOString() });
        });
        router.post('/hello', ctx.auth.admin, ctx.jsonBody, (req, res) => {
          seen.push(JSON.stringify(req.body));
          res.json({ ok: true });
        });
      },
    };
    const m = await startWith([hello], makeConfig({ auth: { adminTokens: ['adm'], publicRead: true } }));
    await call(m.url, 'POST', '/workers', { body: workerBody('w'), token: 'adm' });
    const r = await call(m.url, 'GET', '/hello');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ workers: 1, now: '2026-11-21T06:00:00.000Z' });
    // The module's admin route is refused before its body is parsed.
    const anon = await call(m.url, 'POST', '/hello', { raw: '{not json' });
    expect(anon.status).toBe(401);
    expect(anon.body.code).toBe('unauthorized');
    expect((await call(m.url, 'POST', '/hello', { body: { a: 1 }, token: 'adm' })).status).toBe(200);
    expect(seen).toEqual(['{"a":1}']);
    // A module's thrown error goes through the same error handler.
    const unknown = await call(m.url, 'GET', '/nope');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ error: 'no route for GET /nope', code: 'no_route' });
  });

  it('tunasync routes still win over nothing and modules cannot hide the 404 of other paths', async () => {
    const m = await startWith([{ name: 'x', mount: (r) => r.get('/x', (_q, s) => s.json({ x: 1 })) }]);
    expect((await call(m.url, 'GET', '/x')).body).toEqual({ x: 1 });
    expect((await call(m.url, 'GET', '/ping')).body).toEqual({ message: 'pong' });
    expect((await call(m.url, 'DELETE', '/x')).body.code).toBe('no_route');
  });
});

describe('error codes', () => {
  it('every error body has error and a stable snake_case code; success bodies are unchanged', async () => {
    const m = await startTestManager();
    cleanups.push(() => m.close());
    const cases: [string, string, { body?: unknown; raw?: string }, number, string][] = [
      ['POST', '/workers/ghost/jobs/a', { body: statusBody('ghost', 'a', 'success') }, 400, 'invalid_worker_id'],
      ['POST', '/workers/ghost/schedules', { body: { schedules: [] } }, 400, 'invalid_worker_id'],
      ['GET', '/workers/ghost/jobs', {}, 400, 'invalid_worker_id'],
      ['DELETE', '/workers/ghost', {}, 400, 'invalid_worker_id'],
      ['POST', '/workers', { raw: '{"id": ' }, 400, 'malformed_json'],
      ['POST', '/workers', { body: { url: 'http://x/' } }, 400, 'bad_request'],
      ['POST', '/workers', { raw: JSON.stringify({ id: 'w', pad: 'x'.repeat(1024 * 1024) }) }, 413, 'payload_too_large'],
      ['POST', '/cmd', { body: { cmd: 'start', worker_id: 'ghost' } }, 400, 'worker_not_registered'],
      ['GET', '/no/such/route', {}, 404, 'no_route'],
    ];
    for (const [method, path, opts, status, code] of cases) {
      const r = await call(m.url, method, path, opts);
      expect([method, path, r.status, r.body?.code]).toEqual([method, path, status, code]);
      expect(typeof r.body.error).toBe('string');
      expect(Object.keys(r.body).sort()).toEqual(['code', 'error']);
    }
    expect((await call(m.url, 'GET', '/workers/ghost/jobs')).body.error).toBe('invalid workerID ghost');
    await call(m.url, 'POST', '/workers', { body: workerBody('w') });
    const ok = await call(m.url, 'POST', '/workers/w/jobs/a', { body: statusBody('w', 'a', 'success') });
    expect(Object.keys(ok.body).sort()).toEqual(
      ['error_msg', 'is_master', 'last_ended', 'last_started', 'last_update', 'name', 'next_schedule', 'size', 'status', 'upstream', 'worker'],
    );
    const missing = await call(m.url, 'DELETE', '/workers/w/jobs/none');
    expect(missing.body).toEqual({ error: 'job none of worker w not found', code: 'not_found' });
  });

  it('401, 403 and an unexpected 500 carry unauthorized, forbidden and internal', async () => {
    const m = await startTestManager({ config: makeConfig({ auth: { adminTokens: ['adm'], workerTokens: { w: 'wt' } } }) });
    cleanups.push(() => m.close());
    expect((await call(m.url, 'POST', '/cmd', { body: { cmd: 'start', worker_id: 'w' } })).body.code).toBe('unauthorized');
    expect((await call(m.url, 'POST', '/cmd', { body: { cmd: 'start', worker_id: 'w' }, token: 'wt' })).body.code).toBe('forbidden');
    await m.store.close();
    const r = await call(m.url, 'GET', '/workers');
    expect(r.status).toBe(500);
    expect(r.body.code).toBe('internal');
  });
});

describe('JobsCache', () => {
  it('serialises once per generation and reads the store every time when it has no generation()', async () => {
    const store = new SqliteJobStore(':memory:');
    await store.init();
    cleanups.push(() => store.close());
    let reads = 0;
    const counting: JobStore = Object.assign(Object.create(store) as JobStore, {
      listAllMirrorStatus: () => {
        reads++;
        return store.listAllMirrorStatus();
      },
    });
    const cache = new JobsCache(counting, 'UTC');
    await store.createWorker({ id: 'w', url: 'http://w/', token: '', lastOnline: new Date(0), lastRegister: new Date(0) });
    const first = await cache.body();
    expect(await cache.body()).toBe(first);
    expect(reads).toBe(1);
    await store.updateMirrorStatus('w', 'a', () => emptyMirrorStatus('a', 'w'));
    const second = await cache.body();
    expect(reads).toBe(2);
    expect(JSON.parse(second)).toHaveLength(1);

    const plain: JobStore = Object.assign(Object.create(counting) as JobStore, { generation: undefined });
    const uncached = new JobsCache(plain, 'UTC');
    await uncached.body();
    await uncached.body();
    expect(reads).toBe(4);
  });
});

describe('verbose', () => {
  it('schedule updates and forwarded commands are logged at the verbose level', async () => {
    const m = await startTestManager();
    cleanups.push(() => m.close());
    await call(m.url, 'POST', '/workers', { body: workerBody('w') });
    await call(m.url, 'POST', '/workers/w/schedules', { body: { schedules: [] } });
    expect(m.lines.some((l) => /^\[verbose\] .*Worker <w> updated 0 schedule/.test(l))).toBe(true);
  });
});
