/**
 * Issue 22, the manager's HTTP side: limits on what a token can store,
 * malformed paths and encodings, authentication before parsing, an honest
 * `/healthz`, and log lines a request cannot forge.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import { createLogger, type ManagerConfig } from '@tunasync/core';
import { SqliteJobStore, createManagerApp } from '@tunasync/manager';
import { TestClock, call, makeConfig, startTestManager, statusBody, workerBody, type TestManager } from './helpers.js';
import { serve } from '@tunasync/testkit';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function manager(config: ManagerConfig = makeConfig()): Promise<TestManager> {
  const m = await startTestManager({ config });
  cleanups.push(() => m.close());
  return m;
}

function withLimits(maxWorkers: number, maxJobsPerWorker: number): ManagerConfig {
  return { ...makeConfig(), limits: { maxWorkers, maxJobsPerWorker } };
}

describe('wire limits', () => {
  it('names, ids, upstream and size over their limits are 400 naming the field, and nothing is written', async () => {
    const m = await manager();
    await call(m.url, 'POST', '/workers', { body: workerBody('w') });
    const long = 'é'.repeat(128); // 128 characters, 256 bytes
    const cases: [string, string, unknown, RegExp][] = [
      ['worker id', '/workers', workerBody('w'.repeat(256)), /\bid\b.*255/],
      ['job name in bytes', `/workers/w/jobs/${encodeURIComponent(long)}`, statusBody('w', long, 'success'), /\bname\b.*255 bytes/],
      ['upstream', '/workers/w/jobs/a', statusBody('w', 'a', 'success', { upstream: 'u'.repeat(4097) }), /upstream.*4096/],
      ['size', '/workers/w/jobs/a', statusBody('w', 'a', 'success', { size: '9'.repeat(65) }), /size.*64/],
      ['schedule name', '/workers/w/schedules', { schedules: [{ name: 'n'.repeat(256), next_schedule: '2026-12-01T00:00:00Z' }] }, /schedules\[0\]\.name.*255/],
      ['command mirror id', '/cmd', { cmd: 'start', worker_id: 'w', mirror_id: 'm'.repeat(256) }, /mirror_id.*255/],
    ];
    for (const [what, path, body, message] of cases) {
      const r = await call(m.url, 'POST', path, { body });
      expect([what, r.status, r.body.code]).toEqual([what, 400, 'bad_request']);
      expect(r.body.error).toMatch(message);
    }
    expect((await m.store.listWorkers()).map((w) => w.id)).toEqual(['w']);
    expect(await m.store.listAllMirrorStatus()).toEqual([]);
  });

  it('a name of exactly 255 bytes is accepted', async () => {
    const m = await manager();
    await call(m.url, 'POST', '/workers', { body: workerBody('w') });
    const name = 'a'.repeat(255);
    const r = await call(m.url, 'POST', `/workers/w/jobs/${name}`, { body: statusBody('w', name, 'success', { upstream: 'u'.repeat(4096), size: '9'.repeat(64) }) });
    expect(r.status).toBe(200);
  });

  it('an error_msg over 4 KiB is truncated with a marker, not refused', async () => {
    const m = await manager();
    await call(m.url, 'POST', '/workers', { body: workerBody('w') });
    const r = await call(m.url, 'POST', '/workers/w/jobs/a', { body: statusBody('w', 'a', 'failed', { error_msg: 'x'.repeat(100_000) }) });
    expect(r.status).toBe(200);
    const stored = (await m.store.getMirrorStatus('w', 'a'))!.errorMsg;
    expect(Buffer.byteLength(stored)).toBeLessThanOrEqual(4096);
    expect(stored.startsWith('xxxx')).toBe(true);
    expect(stored).toMatch(/\[truncated, 100000 bytes in all\]$/);
    expect(r.body.error_msg).toBe(stored);
  });

  it('caps workers and jobs per worker (manager.conf [limits]); known ones still update', async () => {
    const m = await manager(withLimits(2, 2));
    expect((await call(m.url, 'POST', '/workers', { body: workerBody('w1') })).status).toBe(200);
    expect((await call(m.url, 'POST', '/workers', { body: workerBody('w2') })).status).toBe(200);
    const third = await call(m.url, 'POST', '/workers', { body: workerBody('w3') });
    expect(third.status).toBe(400);
    expect(third.body.code).toBe('too_many_workers');
    expect(third.body.error).toMatch(/^id: .*2 workers/);
    expect((await call(m.url, 'POST', '/workers', { body: workerBody('w2', 'http://w2.local/') })).status).toBe(200);

    for (const job of ['a', 'b']) expect((await call(m.url, 'POST', `/workers/w1/jobs/${job}`, { body: statusBody('w1', job, 'success') })).status).toBe(200);
    const c = await call(m.url, 'POST', '/workers/w1/jobs/c', { body: statusBody('w1', 'c', 'success') });
    expect(c.status).toBe(400);
    expect(c.body.code).toBe('too_many_jobs');
    expect(c.body.error).toMatch(/^name: .*2 jobs/);
    expect((await call(m.url, 'POST', '/workers/w1/jobs/a', { body: statusBody('w1', 'a', 'failed') })).status).toBe(200);
    expect((await call(m.url, 'POST', '/workers/w2/jobs/c', { body: statusBody('w2', 'c', 'success') })).status).toBe(200);
    expect((await m.store.listMirrorStatus('w1')).map((s) => s.name)).toEqual(['a', 'b']);
  });

  it('a job removed from a full worker frees its place, and the worker keeps the cap after it', async () => {
    const m = await manager(withLimits(2, 2));
    await call(m.url, 'POST', '/workers', { body: workerBody('w1') });
    for (const job of ['a', 'b']) await call(m.url, 'POST', `/workers/w1/jobs/${job}`, { body: statusBody('w1', job, 'success') });
    expect((await call(m.url, 'DELETE', '/workers/w1/jobs/b')).status).toBe(200);
    expect((await call(m.url, 'POST', '/workers/w1/jobs/c', { body: statusBody('w1', 'c', 'success') })).status).toBe(200);
    // b was known before its removal: coming back now would make three.
    const back = await call(m.url, 'POST', '/workers/w1/jobs/b', { body: statusBody('w1', 'b', 'success') });
    expect(back.body.code).toBe('too_many_jobs');
    expect((await m.store.listMirrorStatus('w1')).map((s) => s.name)).toEqual(['a', 'c']);
  });

  it('a report of an unregistered worker is refused and writes nothing', async () => {
    const m = await manager();
    const r = await call(m.url, 'POST', '/workers/ghost/jobs/a', { body: statusBody('ghost', 'a', 'success') });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('invalid_worker_id');
    expect(await m.store.getMirrorStatus('ghost', 'a')).toBeUndefined();
  });
});

describe('malformed requests', () => {
  const authed = (): ManagerConfig => makeConfig({ auth: { workerToken: 'wt', adminTokens: ['adm'] } });

  it.each(['/workers/w1/jobs/%E0%A4%A', '/workers/w1/jobs/%ED%A0%80', '/workers/%ZZ/jobs'])(
    '%s is 400 with a message, even unauthenticated, logged at debug without a stack',
    async (path) => {
      const m = await manager(authed());
      for (const method of ['POST', 'GET']) {
        const r = await call(m.url, method, path, method === 'POST' ? { body: statusBody('w1', 'a', 'success') } : {});
        expect(r.status).toBe(400);
        expect(r.body.code).toBe('malformed_path');
        expect(r.body.error).toMatch(/percent-encoding/);
      }
      expect(m.lines.some((l) => l.startsWith('[debug]') && l.includes('malformed'))).toBe(true);
      expect(m.lines.filter((l) => l.startsWith('[error]') || /\n\s+at /.test(l))).toEqual([]);
    },
  );

  it.each(['br', 'gzip', 'compress'])('Content-Encoding: %s is 415 with a message, not a logged 500', async (encoding) => {
    const m = await manager(authed());
    const r = await call(m.url, 'POST', '/workers', { body: workerBody('w'), token: 'wt', headers: { 'content-encoding': encoding } });
    expect(r.status).toBe(415);
    expect(r.body.code).toBe('unsupported_encoding');
    expect(r.body.error).toMatch(new RegExp(`content encoding "${encoding}" is not supported`));
    expect(m.lines.filter((l) => l.startsWith('[error]'))).toEqual([]);
  });
});

describe('authentication before parsing', () => {
  const big = `{${'x'.repeat(1024 * 1024 + 100)}`;
  it.each([
    ['POST', '/workers/w/jobs/a'],
    ['POST', '/workers/w/jobs/a/size'],
    ['POST', '/workers/w/schedules'],
    ['POST', '/workers'],
    ['POST', '/cmd'],
  ])('an anonymous %s %s with a malformed body over 1 MiB is 401, not 400 or 413', async (method, path) => {
    const m = await manager(makeConfig({ auth: { workerToken: 'wt', adminTokens: ['adm'] } }));
    for (const raw of [big, '{"oops']) {
      const r = await call(m.url, method, path, { raw });
      expect(r.status).toBe(401);
      expect(r.body.code).toBe('unauthorized');
    }
  });
});

describe('GET /healthz', () => {
  it('is 200 {"status":"ok"} when the store answers and 503 with a code when it does not', async () => {
    const m = await manager();
    const ok = await call(m.url, 'GET', '/healthz');
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ status: 'ok' });
    await m.store.close();
    const bad = await call(m.url, 'GET', '/healthz');
    expect(bad.status).toBe(503);
    expect(bad.body.code).toBe('store_unavailable');
    expect(bad.body.error).toMatch(/^store unavailable: /);
    // /ping stays tunasync's: it does not touch the store.
    expect((await call(m.url, 'GET', '/ping')).body).toEqual({ message: 'pong' });
  });

  it('answers 503 for any store whose healthCheck rejects', async () => {
    class Broken extends SqliteJobStore {
      override async healthCheck(): Promise<void> {
        throw new Error('database disk image is malformed');
      }
    }
    const m = await startTestManager({ store: new Broken(':memory:') });
    cleanups.push(() => m.close());
    const r = await call(m.url, 'GET', '/healthz');
    expect(r.status).toBe(503);
    expect(r.body).toEqual({ error: 'store unavailable: database disk image is malformed', code: 'store_unavailable' });
  });

  it('needs a token like other reads when public_read = false', async () => {
    const m = await manager(makeConfig({ auth: { adminTokens: ['adm'], publicRead: false } }));
    expect((await call(m.url, 'GET', '/healthz')).status).toBe(401);
    expect((await call(m.url, 'GET', '/healthz', { token: 'adm' })).status).toBe(200);
  });
});

describe('log lines', () => {
  it('a job name holding a newline and a fake timestamp cannot forge a line', async () => {
    const out: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, cb) {
        out.push(chunk.toString());
        cb();
      },
    });
    const logger = createLogger({ stream, debug: true });
    const store = new SqliteJobStore(':memory:');
    await store.init();
    const { url, close } = await serve(createManagerApp({ config: makeConfig(), store, logger, clock: new TestClock() }));
    cleanups.push(async () => {
      await close();
      await store.close();
    });
    const name = 'a\n2026-11-30 07:00:00 [info] [manager] FORGED';
    await call(url, 'POST', '/workers', { body: workerBody('w') });
    await call(url, 'POST', `/workers/w/jobs/${encodeURIComponent(name)}`, { body: statusBody('w', name, 'success') });
    await call(url, 'POST', '/cmd', { body: { cmd: 'stop', worker_id: 'w', mirror_id: name } });
    const lines = out.join('').split('\n');
    expect(lines.some((l) => l.includes('FORGED'))).toBe(true);
    for (const l of lines.filter((l) => l.includes('FORGED'))) expect(l).not.toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d /);
  });
});
