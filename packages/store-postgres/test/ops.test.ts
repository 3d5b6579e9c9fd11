/**
 * The wave-2 parts of the PostgreSQL store (stats, notifications,
 * maintenance, leases, change feed), and two stores on one database as two
 * managers would use it.
 */
import { describe, expect, it } from '@jest/globals';
import { emptyMirrorStatus, type MirrorStatus, type RunHistoryStep, type StoreChange } from '@tunasync/core';
import { PostgresJobStore } from '@tunasync/store-postgres';
import { until } from '@tunasync/testkit';
import { usePgStores } from './pg-stores.js';

const { store, pg: cluster } = usePgStores();

const at = (iso: string) => new Date(iso);
const st = (w: string, m: string, status: MirrorStatus['status']): MirrorStatus => ({ ...emptyMirrorStatus(m, w), status });

async function close(s: PostgresJobStore, w: string, m: string, runId: string, result: 'success' | 'failed', bytes?: number): Promise<void> {
  const step: RunHistoryStep = {
    kind: 'close', runId, matchOpen: false, at: at('2026-05-01T10:00:00Z'), result, trigger: 'schedule', durationS: 60,
    errorMsg: '', size: '1G', ...(bytes !== undefined ? { transferredBytes: bytes } : {}),
  };
  await s.updateMirrorStatus(w, m, () => st(w, m, result), () => step);
}

describe('PostgresJobStore job stats', () => {
  it('counts closed runs in the closing transaction; aborted runs are not counted', async () => {
    const s = await store();
    expect(await s.getJobStats('w', 'debian')).toEqual({ worker: 'w', mirror: 'debian', runsTotal: 0, failuresTotal: 0, consecutiveFailures: 0, transferredBytesTotal: 0 });
    await close(s, 'w', 'debian', 'r1', 'failed');
    await close(s, 'w', 'debian', 'r2', 'failed', 10);
    expect(await s.getJobStats('w', 'debian')).toMatchObject({ runsTotal: 2, failuresTotal: 2, consecutiveFailures: 2, transferredBytesTotal: 10, lastResult: 'failed' });
    await close(s, 'w', 'debian', 'r3', 'success', 5);
    expect(await s.getJobStats('w', 'debian')).toEqual({
      worker: 'w', mirror: 'debian', runsTotal: 3, failuresTotal: 2, consecutiveFailures: 0, transferredBytesTotal: 15,
      lastResult: 'success', lastDurationS: 60, lastTransferredBytes: 5,
    });
    await s.updateMirrorStatus('w', 'debian', () => st('w', 'debian', 'syncing'), () => ({
      kind: 'open', runId: 'r4', at: at('2026-05-01T11:00:00Z'), trigger: 'manual', attempt: 1,
    }));
    await s.updateMirrorStatus('w', 'debian', () => st('w', 'debian', 'failed'), () => ({ kind: 'abort', at: at('2026-05-01T11:00:30Z') }));
    const after = await s.getJobStats('w', 'debian');
    expect(after).toMatchObject({ runsTotal: 3, failuresTotal: 2, lastResult: 'aborted', lastDurationS: 30 });
    // Pruning history does not lower the counters.
    await s.pruneRuns('w', 'debian', { keep: 0, olderThan: at('2030-01-01T00:00:00Z') });
    expect((await s.getJobStats('w', 'debian')).runsTotal).toBe(3);
    await close(s, 'w', 'alpine', 'a1', 'success');
    expect((await s.listJobStats()).map((x) => `${x.worker}/${x.mirror}`)).toEqual(['w/alpine', 'w/debian']);
  });

  it('stores and replaces job metadata', async () => {
    const s = await store();
    await s.setJobMeta('w2', [{ mirror: 'b', intervalS: 3600 }]);
    await s.setJobMeta('w1', [{ mirror: 'a', staleAfterS: 7200, intervalS: 60 }]);
    await s.setJobMeta('w1', [{ mirror: 'a', intervalS: 120 }]);
    expect(await s.listJobMeta()).toEqual([
      { worker: 'w1', mirror: 'a', intervalS: 120 },
      { worker: 'w2', mirror: 'b', intervalS: 3600 },
    ]);
  });
});

describe('PostgresJobStore notification queue', () => {
  it('dedupes by key (also once delivered), claims due items once, retries and holds', async () => {
    const s = await store();
    const future = new Date(Date.now() + 3_600_000);
    expect(await s.enqueueNotifications([
      { receiver: 'mail', dedupeKey: 'k1', payload: '{"a":1}' },
      { receiver: 'mail', dedupeKey: 'k1', payload: 'dup' },
      { receiver: 'hook', dedupeKey: 'k2', payload: '{}' },
      { receiver: 'hook', dedupeKey: 'later', payload: '{}', nextAttemptAt: future },
      { receiver: 'hook', dedupeKey: 'held', payload: '{}', held: true },
    ])).toBe(4);
    expect(await s.countNotifications()).toBe(4);
    const first = await s.claimNotifications('m1', 10, 60_000);
    expect(first.map((n) => n.dedupeKey)).toEqual(['k1', 'k2']);
    expect(first[0]).toMatchObject({ receiver: 'mail', payload: '{"a":1}', attempts: 0, held: false });
    // Claimed by m1: m2 gets nothing.
    expect(await s.claimNotifications('m2', 10, 60_000)).toEqual([]);
    await s.finishNotification(first[0]!.id, { kind: 'delivered' });
    await s.finishNotification(first[1]!.id, { kind: 'retry', at: new Date(Date.now() - 1000), error: 'HTTP 502' });
    const again = await s.claimNotifications('m2', 10, 60_000);
    expect(again).toHaveLength(1);
    expect(again[0]).toMatchObject({ dedupeKey: 'k2', attempts: 1, lastError: 'HTTP 502' });
    await s.finishNotification(again[0]!.id, { kind: 'dead', error: 'gave up' });
    expect(await s.enqueueNotifications([{ receiver: 'mail', dedupeKey: 'k1', payload: 'again' }])).toBe(0);
    expect(await s.countNotifications()).toBe(2);
    const held = await s.takeHeldNotifications();
    expect(held.map((n) => n.dedupeKey)).toEqual(['held']);
    expect(await s.countNotifications()).toBe(1);
  });

  it('an expired claim (the holder died) is claimable again', async () => {
    const s = await store();
    await s.enqueueNotifications([{ receiver: 'r', dedupeKey: 'x', payload: '{}' }]);
    expect(await s.claimNotifications('dead-manager', 5, 1)).toHaveLength(1);
    const taken = await until(async () => {
      const got = await s.claimNotifications('alive', 5, 60_000);
      return got.length ? got : undefined;
    }, 'the expired claim is free');
    expect(taken[0]!.dedupeKey).toBe('x');
  });
});

describe('PostgresJobStore maintenance and leases', () => {
  it('maintenance is stamped with the database clock and expires by itself', async () => {
    const s = await store();
    expect(await s.getMaintenance()).toBeUndefined();
    expect(await s.clearMaintenance()).toBe(false);
    const before = Date.now();
    const on = await s.setMaintenance({ message: 'disk swap' });
    expect(Math.abs(on.since.getTime() - before)).toBeLessThan(5_000);
    expect(await s.getMaintenance()).toEqual(on);
    expect(await s.clearMaintenance()).toBe(true);
    expect(await s.getMaintenance()).toBeUndefined();
    await s.setMaintenance({ message: 'short', until: new Date(Date.now() - 1000) });
    expect(await s.getMaintenance()).toBeUndefined();
    expect(await s.clearMaintenance()).toBe(false);
  });

  it('one holder at a time; renewals; taken over once expired; release', async () => {
    const url = await cluster().createDatabase();
    const a = await store(url);
    const b = await store(url);
    expect(await a.acquireLease('notify', 'A', 60_000)).toBe(true);
    expect(await b.acquireLease('notify', 'B', 60_000)).toBe(false);
    expect(await a.acquireLease('notify', 'A', 60_000)).toBe(true);
    expect(await b.acquireLease('prune', 'B', 60_000)).toBe(true);
    await a.releaseLease('notify', 'B'); // not B's: nothing happens
    expect(await b.acquireLease('notify', 'B', 60_000)).toBe(false);
    await a.releaseLease('notify', 'A');
    expect(await b.acquireLease('notify', 'B', 1)).toBe(true);
    // B's 1 ms lease expires (B "died"): A takes over.
    await until(async () => (await a.acquireLease('notify', 'A', 60_000)) || undefined, 'A takes the expired lease');
    expect(await b.acquireLease('notify', 'B', 60_000)).toBe(false);
  });

  it('concurrent acquirers: exactly one wins', async () => {
    const url = await cluster().createDatabase();
    const stores = await Promise.all([store(url), store(url), store(url)]);
    const wins = await Promise.all(stores.flatMap((s, i) => [0, 1, 2].map((j) => s.acquireLease('once', `m${i}-${j}`, 60_000))));
    expect(wins.filter(Boolean)).toHaveLength(1);
  });
});

describe('PostgresJobStore across managers', () => {
  it('the change feed reports other stores’ writes, and resync after a reconnect', async () => {
    const url = await cluster().createDatabase();
    const a = await store(url);
    const b = await store(url);
    const seen: StoreChange[] = [];
    const stop = b.watchChanges((c) => seen.push(c));
    // The listening connection starts in the background: retry a write until one is seen.
    await until(async () => {
      await a.createWorker({ id: 'w1', url: 'http://w1/', token: 't', lastOnline: new Date(), lastRegister: new Date() });
      return seen.some((c) => c.kind === 'worker') || undefined;
    }, 'B hears A');
    await a.updateMirrorStatus('w1', 'debian', () => st('w1', 'debian', 'syncing'));
    await a.setMaintenance({ message: 'm' });
    await until(() => (seen.some((c) => c.kind === 'maintenance') ? true : undefined), 'maintenance change');
    expect(seen).toContainEqual({ kind: 'status', worker: 'w1', mirror: 'debian' });
    // Once listening, the feed said resync (what came before was not announced); a reconnect says it again.
    const resyncs = (): number => seen.filter((c) => c.kind === 'resync').length;
    expect(resyncs()).toBe(1);
    await b.changeListener!.dropConnection();
    await until(() => (resyncs() === 2 ? true : undefined), 'resync after the reconnect');
    seen.length = 0;
    await until(async () => {
      await a.deleteMirrorStatus('w1', 'debian').then(() => a.updateMirrorStatus('w1', 'debian', () => st('w1', 'debian', 'success')));
      return seen.some((c) => c.kind === 'status') || undefined;
    }, 'B hears A again after the reconnect');
    stop();
  });

  it('generation() changes for another store’s commit, so each manager’s /jobs cache sees it', async () => {
    const url = await cluster().createDatabase();
    const a = await store(url);
    const b = await store(url);
    const g0 = await b.generation();
    await a.updateMirrorStatus('w', 'j', () => st('w', 'j', 'success'));
    expect(await b.generation()).not.toBe(g0);
    const g1 = await b.generation();
    expect(await b.generation()).toBe(g1);
  });

  it('concurrent first reports of one job from two stores merge (no lost update)', async () => {
    const url = await cluster().createDatabase();
    const a = await store(url);
    const b = await store(url);
    const bump = (s: PostgresJobStore) =>
      s.updateMirrorStatus('w', 'counter', (prev) => ({ ...st('w', 'counter', 'success'), size: String(Number(prev?.size || '0') + 1) }));
    await Promise.all(Array.from({ length: 40 }, (_, i) => bump(i % 2 ? a : b)));
    expect((await a.getMirrorStatus('w', 'counter'))!.size).toBe('40');
  });

  it('names with quotes, backslashes and SQL in them round-trip (the report path sends them as escaped literals)', async () => {
    const s = await store();
    const names = ["it's", 'back\\slash\\', "x'; DROP TABLE runs; --", 'E\'\\\'', 'ünï/cødé'];
    for (const n of names) {
      await s.updateMirrorStatus(n, n, () => st(n, n, 'success'), () => ({
        kind: 'open', runId: 'r', at: at('2026-05-01T10:00:00Z'), trigger: 'manual', attempt: 1,
      }));
      await s.updateMirrorStatus(n, n, () => st(n, n, 'failed'), () => ({ kind: 'abort', at: at('2026-05-01T10:00:10Z') }));
    }
    for (const n of names) {
      expect(await s.getMirrorStatus(n, n)).toMatchObject({ worker: n, name: n, status: 'failed' });
      expect((await s.listRuns(n, { limit: 5 })).map((r) => [r.worker, r.result])).toEqual([[n, 'aborted']]);
    }
    expect(await s.listAllMirrorStatus()).toHaveLength(names.length);
  });

  it('clock is the database clock (a small measured offset)', async () => {
    const s = await store();
    expect(Math.abs(s.clock.now().getTime() - Date.now())).toBeLessThan(2_000);
  });

  it('a bad URL fails init with the server’s reason', async () => {
    const s = new PostgresJobStore(cluster().url('no_such_db'));
    await expect(s.init()).rejects.toThrow(/no_such_db/);
    await s.close();
  });
});
