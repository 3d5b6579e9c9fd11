/**
 * `GET /metrics` renders the per-mirror families incrementally (issue 16's
 * 100 ms scrape of 10,000 mirrors): a scrape after writes of every kind
 * (status, run counters, size, schedules and stale_after, a new mirror, a
 * deleted one, a clock that makes a mirror stale) says exactly what a
 * one-off render of the same store says; a quiet store is not read again,
 * a store with a change feed only for the jobs it named (everything after
 * another process wrote the file, and every `fullEveryMs`); a family
 * nothing changed in is the same Buffer as in the last scrape.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import type { JobStore } from '@tunasync/core';
import { SiteMetrics, SqliteJobStore, siteMetricsText } from '@tunasync/manager';
import { TestClock, startTestManager, testManagerConfig, useTempDirs, type TestManager } from '@tunasync/testkit';
import { statusBody, workerBody } from './helpers.js';

const dirs = useTempDirs();
const running: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const r of running.splice(0).reverse()) await r.close();
});

async function manager(): Promise<TestManager & { clock: TestClock }> {
  const clock = new TestClock('2026-11-21T06:00:00.000Z');
  const m = await startTestManager({ config: testManagerConfig(join(dirs.make('tunasync-metrics-inc-').dir, 'manager.db')), clock });
  running.push(m);
  return Object.assign(m, { clock });
}

/** A scrape without `tunasync_worker_online` (the route's heartbeat hook adds it; a one-off render has none). */
const withoutOnline = (text: string): string => text.replace(/^# HELP tunasync_worker_online [^]*?(?=^# HELP )/m, '');

/** The route's scrape without prom-client's process series (they change by themselves). */
async function scrape(m: TestManager): Promise<string> {
  const r = await fetch(`${m.base}/metrics`);
  const text = await r.text();
  expect(r.status).toBe(200);
  expect(Number(r.headers.get('content-length'))).toBe(Buffer.byteLength(text));
  expect(text).toContain('tunasync_worker_online{worker=');
  return withoutOnline(text.slice(text.indexOf('# HELP tunasync_mirror_status ')));
}

/** A store that counts its full reads (all statuses) and its reads of one job; `feed: false` hides its change feed. */
function counting(store: JobStore, feed = true): { store: JobStore; full: () => number; one: () => number } {
  let full = 0;
  let one = 0;
  const wrapped = new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'watchChanges' && !feed) return undefined;
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (prop === 'listAllMirrorStatus') return () => ((full += 1), target.listAllMirrorStatus());
      if (prop === 'getMirrorStatus') return (w: string, m: string) => ((one += 1), target.getMirrorStatus(w, m));
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { store: wrapped, full: () => full, one: () => one };
}

describe('GET /metrics, rendered incrementally', () => {
  it('says after every kind of write what a one-off render of the store says', async () => {
    const m = await manager();
    const post = async (path: string, body: unknown, method = 'POST'): Promise<void> => {
      m.clock.advance(10_000);
      const r = await m.call(method, path, body);
      expect([r.status, r.text]).toEqual([200, r.text]);
    };
    const same = async (): Promise<string> => {
      const text = await scrape(m);
      expect(text).toBe(await siteMetricsText(m.store, m.clock.now()));
      return text;
    };
    await post('/workers', workerBody('w1'));
    await post('/workers', workerBody('w2'));
    for (const name of ['alpha', 'beta', 'gamma']) await post(`/workers/w1/jobs/${name}`, statusBody('w1', name, 'success', { size: '1G' }));
    await post('/workers/w2/jobs/alpha', statusBody('w2', 'alpha', 'failed'));
    const first = await same();
    expect(first).toContain('tunasync_mirror_size_bytes{mirror="beta",worker="w1"} 1073741824\n');

    // A status change and a run closing: status, times, counters.
    await post('/workers/w1/jobs/beta', statusBody('w1', 'beta', 'pre-syncing', { run_id: 'r1', attempt: 1 }));
    const syncing = await same();
    expect(syncing).toContain('tunasync_mirror_status{mirror="beta",worker="w1",status="pre-syncing"} 1\n');
    await post('/workers/w1/jobs/beta', statusBody('w1', 'beta', 'failed', { run_id: 'r1', attempt: 1, final: true, transferred_bytes: 99 }));
    expect(await same()).toContain('tunasync_mirror_failures_total{mirror="beta",worker="w1"} 1\n');
    // A size, a schedule with stale_after, a new mirror, on the other worker.
    await post('/workers/w1/jobs/gamma/size', { name: 'gamma', size: '3.5G' });
    await post('/workers/w1/schedules', { schedules: [{ name: 'alpha', next_schedule: '2026-11-21T09:00:00Z', stale_after_s: 3600 }] });
    await post('/workers/w2/jobs/delta', statusBody('w2', 'delta', 'syncing'));
    const more = await same();
    expect(more).toContain('tunasync_mirror_size_bytes{mirror="gamma",worker="w1"} 3758096384\n');
    expect(more).toContain('tunasync_mirror_status{mirror="delta",worker="w2",status="syncing"} 1\n');
    // alpha's last success was at 06:00:30; two hours on, it is stale by its stale_after.
    expect(more).toContain('tunasync_mirror_stale{mirror="alpha",worker="w1"} 0\n');
    m.clock.advance(2 * 3600_000);
    expect(await same()).toContain('tunasync_mirror_stale{mirror="alpha",worker="w1"} 1\n');
    // A deleted job goes away.
    await post('/workers/w2/jobs/delta', undefined, 'DELETE');
    const fewer = await same();
    expect(fewer).not.toContain('mirror="delta"');
    expect(fewer).toContain('tunasync_mirror_status{mirror="alpha",worker="w2",status="failed"} 1\n');
  });

  it('reads a quiet store once, then only the jobs that changed, and sends a family nothing changed in as the same Buffer', async () => {
    const m = await manager();
    await m.call('POST', '/workers', workerBody('w1'));
    for (const name of ['a', 'b']) await m.call('POST', `/workers/w1/jobs/${name}`, statusBody('w1', name, 'success', { size: '2G' }));
    const { store, full, one } = counting(m.store);
    const site = new SiteMetrics(store);
    running.push({ close: async () => site.close() });
    const first = await site.collect(m.clock.now());
    const second = await site.collect(m.clock.now());
    expect([full(), one()]).toEqual([1, 0]);
    expect(second.slice(0, -1).every((part, i) => part === first[i])).toBe(true);
    // A new size for b: b alone is read again; the size family is rebuilt, the status family is not.
    await m.call('POST', '/workers/w1/jobs/b/size', { name: 'b', size: '3G' });
    const third = await site.collect(m.clock.now());
    expect([full(), one()]).toEqual([1, 1]);
    const family = (parts: Buffer[], name: string): Buffer => parts.find((p) => p.toString('utf8').startsWith(`# HELP ${name} `))!;
    expect(family(third, 'tunasync_mirror_status')).toBe(family(first, 'tunasync_mirror_status'));
    expect(family(third, 'tunasync_mirror_size_bytes')).not.toBe(family(first, 'tunasync_mirror_size_bytes'));
    expect(family(third, 'tunasync_mirror_size_bytes').toString('utf8')).toContain('tunasync_mirror_size_bytes{mirror="b",worker="w1"} 3221225472\n');
    // Job metadata is a change too: a stale_after makes a with a success 2 h ago stale.
    m.clock.advance(2 * 3600_000);
    await m.call('POST', '/workers/w1/schedules', { schedules: [{ name: 'a', next_schedule: '2026-11-21T09:00:00Z', stale_after_s: 3600 }] });
    const fourth = Buffer.concat(await site.collect(m.clock.now())).toString('utf8');
    expect(full()).toBe(1);
    expect(fourth).toContain('tunasync_mirror_stale{mirror="a",worker="w1"} 1\n');
    expect(fourth).toBe(await siteMetricsText(m.store, m.clock.now()));
  });

  it('reads everything again after another process wrote the file, on a store without a change feed, and every fullEveryMs', async () => {
    const m = await manager();
    await m.call('POST', '/workers', workerBody('w1'));
    await m.call('POST', '/workers/w1/jobs/a', statusBody('w1', 'a', 'success'));
    const { store, full } = counting(m.store);
    let now = 0;
    const site = new SiteMetrics(store, {}, { fullEveryMs: 60_000, nowMs: () => now });
    running.push({ close: async () => site.close() });
    await site.collect(m.clock.now());
    // Another process (here another connection) writes the same SQLite file: no change is announced for it.
    const other = new SqliteJobStore(m.dbFile);
    await other.init();
    await other.updateMirrorStatus('w1', 'a', (prev) => ({ ...prev!, status: 'failed' }));
    await other.close();
    const text = Buffer.concat(await site.collect(m.clock.now())).toString('utf8');
    expect(full()).toBe(2);
    expect(text).toContain('tunasync_mirror_status{mirror="a",worker="w1",status="failed"} 1\n');
    // The safety net: a full read once fullEveryMs has passed, changes or not.
    await m.call('POST', '/workers/w1/jobs/a/size', { name: 'a', size: '1G' });
    await site.collect(m.clock.now());
    expect(full()).toBe(2);
    now += 60_000;
    await m.call('POST', '/workers/w1/jobs/a/size', { name: 'a', size: '2G' });
    await site.collect(m.clock.now());
    expect(full()).toBe(3);
    // Without a feed, every change is a full read.
    const bare = counting(m.store, false);
    const plain = new SiteMetrics(bare.store);
    await plain.collect(m.clock.now());
    await m.call('POST', '/workers/w1/jobs/a/size', { name: 'a', size: '3G' });
    await plain.collect(m.clock.now());
    await plain.collect(m.clock.now());
    expect(bare.full()).toBe(2);
  });
});
