/**
 * The reporter's answers to what sits between it and a manager: a proxy
 * answering 429 or a token not yet rolled out (401) delays reports but loses
 * none; a report kept under another worker id is dropped, not looped on.
 * The "proxy" is a small HTTP server in front of a real manager.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { createHttpClient, createSilentLogger, emptyMirrorStatus } from '@tunasync/core';
import { Reporter, type ReporterOptions } from '@tunasync/worker';
import { getJson, startManager, type Cleanups } from './harness.js';
import { tempDir } from './helpers.js';
import { managerProxy } from './manager-proxy.js';
import { captureLogger } from './rsync-helpers.js';

let cleanups: Cleanups = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

function reporterFor(base: string, stateDir: string, id = 'w1', extra: Partial<ReporterOptions> = {}): Reporter {
  const r = new Reporter({
    apiBaseList: [base],
    http: createHttpClient({ timeoutMs: 2000 }),
    self: () => ({ id, url: 'http://127.0.0.1:1/', token: '', lastOnline: new Date(), lastRegister: new Date() }),
    logger: createSilentLogger(),
    maxBackoffMs: 100,
    stateDir,
    ...extra,
  });
  cleanups.push(() => r.close());
  return r;
}

const statusOf = (name: string, status: 'syncing' | 'success') => ({ ...emptyMirrorStatus(name, 'w1'), status });

describe('Reporter', () => {
  it('retries reports a proxy answers 429 or 401 for, and delivers every one in order', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const m = await startManager(join(t.dir, 'manager.db'));
    cleanups.push(() => m.close());
    let refusals = 0;
    const base = await managerProxy(cleanups, m.base, (method, path) => {
      if (method === 'POST' && path.startsWith('/workers/w1/jobs/') && refusals < 6) return refusals++ % 2 === 0 ? 429 : 401;
      return undefined;
    });
    const r = reporterFor(base, join(t.dir, 'state'));
    r.start();
    for (const n of ['a', 'b', 'c']) {
      r.reportStatus(statusOf(n, 'syncing'));
      r.reportStatus(statusOf(n, 'success'));
    }
    expect(await r.flush(10_000)).toBe(true);
    expect(refusals).toBe(6);
    const jobs = (await getJson(`${m.base}/workers/w1/jobs`)) as { name: string; status: string }[];
    expect(jobs.map((j) => `${j.name}:${j.status}`)).toEqual(['a:success', 'b:success', 'c:success']);
  });

  it('drops a kept report that names another worker id instead of re-registering for ever', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const m = await startManager(join(t.dir, 'manager.db'));
    cleanups.push(() => m.close());
    const state = join(t.dir, 'state');
    // A worker once named "old" kept a report it could not deliver…
    const before = reporterFor('http://127.0.0.1:9', state, 'old');
    before.reportStatus({ ...statusOf('a', 'success'), worker: 'old' });
    await before.close();
    // …and now runs as "w1": the old report is dropped, the new one delivered.
    const r = reporterFor(m.base, state, 'w1');
    r.start();
    r.reportStatus(statusOf('b', 'success'));
    expect(await r.flush(10_000)).toBe(true);
    const jobs = (await getJson(`${m.base}/workers/w1/jobs`)) as { name: string }[];
    expect(jobs.map((j) => j.name)).toEqual(['b']);
  });

  it('close() returns promptly while a manager is unreachable', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const r = reporterFor('http://127.0.0.1:9', join(t.dir, 'state'));
    r.start();
    r.reportStatus(statusOf('a', 'syncing'));
    await new Promise((res) => setTimeout(res, 300));
    const started = Date.now();
    await r.close();
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('waits a random part of the capped exponential backoff (full jitter), drawn from the injected source', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const m = await startManager(join(t.dir, 'manager.db'));
    cleanups.push(() => m.close());
    let unavailable = 3;
    const base = await managerProxy(cleanups, m.base, (method, path) => (path.startsWith('/workers/w1/jobs/') && unavailable-- > 0 ? 503 : undefined));
    const draws = [0.5, 0.25, 0.1];
    let calls = 0;
    const { logger, text } = captureLogger();
    const r = reporterFor(base, join(t.dir, 'state'), 'w1', { logger, maxBackoffMs: 600, random: () => draws[calls++ % draws.length]! });
    r.start();
    r.reportStatus(statusOf('a', 'success'));
    expect(await r.flush(10_000)).toBe(true);
    // Caps 250, 500, then 1000 capped at 600: waits of 125, 125 and 60 ms.
    expect(calls).toBe(3);
    expect([...text().matchAll(/retrying in (\d+) ms/g)].map((x) => Number(x[1]))).toEqual([125, 125, 60]);
  });

  it('registers again when a manager answers code invalid_worker_id, whatever the status and text', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const m = await startManager(join(t.dir, 'manager.db'));
    cleanups.push(() => m.close());
    let registrations = 0;
    let lost = 1;
    const base = await managerProxy(cleanups, m.base, (method, path) => {
      if (path === '/workers') registrations++;
      if (path === '/workers/w1/jobs/a' && lost-- > 0) return { status: 404, body: { error: 'worker w1 is not known here', code: 'invalid_worker_id' } };
      return undefined;
    });
    const r = reporterFor(base, join(t.dir, 'state'), 'w1', { random: () => 0 });
    r.start();
    r.reportStatus(statusOf('a', 'success'));
    expect(await r.flush(10_000)).toBe(true);
    expect(registrations).toBe(2);
    const jobs = (await getJson(`${m.base}/workers/w1/jobs`)) as { name: string }[];
    expect(jobs.map((j) => j.name)).toEqual(['a']);
  });

  it("registers again on tunasync's text (400 invalid workerID) from a Go manager", async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const m = await startManager(join(t.dir, 'manager.db'));
    cleanups.push(() => m.close());
    let registrations = 0;
    let lost = 1;
    const base = await managerProxy(cleanups, m.base, (method, path) => {
      if (path === '/workers') registrations++;
      if (path === '/workers/w1/jobs/a' && lost-- > 0) return { status: 400, body: { error: 'invalid workerID w1' } };
      return undefined;
    });
    const r = reporterFor(base, join(t.dir, 'state'), 'w1', { random: () => 0 });
    r.start();
    r.reportStatus(statusOf('a', 'success'));
    expect(await r.flush(10_000)).toBe(true);
    expect(registrations).toBe(2);
  });
});
