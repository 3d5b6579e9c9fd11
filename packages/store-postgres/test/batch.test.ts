/**
 * Group commit of the PostgreSQL store (pg-write-batch.ts): concurrent
 * reports share one transaction, one that fails fails alone, reports of one
 * job chain in order, two stores (two managers) on one database lose nothing,
 * every change is announced, close() waits for queued writes, and the
 * coalesced reads of the report path answer each caller.
 */
import { describe, expect, it } from '@jest/globals';
import { emptyMirrorStatus, type MirrorStatus, type RunHistoryStep, type StoreChange } from '@tunasync/core';
import { PostgresJobStore } from '@tunasync/store-postgres';
import { until } from '@tunasync/testkit';
import { usePgStores } from './pg-stores.js';

const { store, pg: cluster } = usePgStores();

const at = (iso: string) => new Date(iso);
const st = (w: string, m: string, status: MirrorStatus['status'], size = ''): MirrorStatus => ({ ...emptyMirrorStatus(m, w), status, size });
const bump = (s: PostgresJobStore, w: string, m: string) =>
  s.updateMirrorStatus(w, m, (prev) => st(w, m, 'success', String(Number(prev?.size || '0') + 1)));
const worker = (id: string) => ({ id, url: `http://${id}/`, token: '', lastOnline: at('2026-05-01T00:00:00Z'), lastRegister: at('2026-05-01T00:00:00Z') });

describe('PostgresJobStore group commit', () => {
  it('concurrent reports share one transaction; a report whose update throws fails alone and writes nothing', async () => {
    const s = await store();
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        s.updateMirrorStatus('w', `m${i}`, () => {
          if (i === 7) throw new Error('refused');
          return st('w', `m${i}`, 'success');
        }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(19);
    expect(results[7]).toEqual({ status: 'rejected', reason: new Error('refused') });
    expect(s.batchesCommitted).toBeGreaterThanOrEqual(1);
    expect(await s.getMirrorStatus('w', 'm7')).toBeUndefined();
    expect(await s.countMirrorStatus('w')).toBe(19);
  });

  it('a write the database rejects fails alone: the batch is rolled back and the others commit one by one', async () => {
    const s = await store();
    await s.updateMirrorStatus('w', 'bad', () => st('w', 'bad', 'failed'));
    // A run id with NUL cannot be stored (jsonb and text refuse it): a database error, not a callback's.
    const badStep: RunHistoryStep = { kind: 'open', runId: 'r\u0000', at: at('2026-05-01T10:00:00Z'), trigger: 'manual', attempt: 1 };
    const before = s.batchesCommitted;
    const results = await Promise.allSettled([
      ...Array.from({ length: 10 }, (_, i) => bump(s, 'w', `ok${i}`)),
      s.updateMirrorStatus('w', 'bad', () => st('w', 'bad', 'syncing'), () => badStep),
      ...Array.from({ length: 10 }, (_, i) => bump(s, 'w', `ok${i + 10}`)),
    ]);
    expect(results.map((r) => r.status)).toEqual([...Array(10).fill('fulfilled'), 'rejected', ...Array(10).fill('fulfilled')]);
    expect(s.batchesCommitted).toBe(before); // none of them committed as a batch
    for (let i = 0; i < 20; i++) expect((await s.getMirrorStatus('w', `ok${i}`))?.size).toBe('1');
    // Nothing of the rejected report was written: neither its status nor a run.
    expect((await s.getMirrorStatus('w', 'bad'))?.status).toBe('failed');
    expect(await s.listRuns('bad', { limit: 5 })).toEqual([]);
  });

  it('reports of one job in one batch apply in order, with their run history steps', async () => {
    const s = await store();
    const open: RunHistoryStep = { kind: 'open', runId: 'r1', at: at('2026-05-01T10:00:00Z'), trigger: 'manual', attempt: 1 };
    const close: RunHistoryStep = {
      kind: 'close', runId: 'r1', matchOpen: false, at: at('2026-05-01T10:01:00Z'), result: 'success', trigger: 'manual', errorMsg: '', size: '2G',
    };
    const seen: (string | undefined)[] = [];
    const [a, b, c] = await Promise.all([
      s.updateMirrorStatus('w', 'debian', (prev) => (seen.push(prev?.status), st('w', 'debian', 'syncing')), () => open),
      s.updateMirrorStatus('w', 'debian', (prev) => (seen.push(prev?.status), st('w', 'debian', 'success', '2G')), () => close),
      bump(s, 'w', 'other'),
    ]);
    expect([a.status, b.status, c.size]).toEqual(['syncing', 'success', '1']);
    expect(seen).toEqual([undefined, 'syncing']);
    expect(s.batchesCommitted).toBeGreaterThanOrEqual(1);
    expect((await s.listRuns('debian', { limit: 5 })).map((r) => [r.runId, r.result, r.durationS])).toEqual([['r1', 'success', 60]]);
    expect(await s.getJobStats('w', 'debian')).toMatchObject({ runsTotal: 1, failuresTotal: 0, lastResult: 'success' });
  });

  it('two stores on one database: concurrent reports of the same jobs (new ones too) merge without loss', async () => {
    const url = await cluster().createDatabase();
    const a = await store(url);
    const b = await store(url);
    // Eight clients per store, each reporting one job after another: the two stores' batches overlap all along.
    const clients = (s: PostgresJobStore) =>
      Array.from({ length: 8 }, async (_, c) => {
        for (let i = 0; i < 15; i++) await bump(s, 'w', `job${(c + i) % 4}`);
      });
    await Promise.all([...clients(a), ...clients(b)]);
    const statuses = await a.listMirrorStatus('w');
    expect(statuses.map((x) => [x.name, x.size])).toEqual(Array.from({ length: 4 }, (_, i) => [`job${i}`, String((2 * 8 * 15) / 4)]));
    expect(a.batchesCommitted).toBeGreaterThan(0);
    expect(b.batchesCommitted).toBeGreaterThan(0);
  });

  it('every job changed by a batch is announced on the change feed', async () => {
    const url = await cluster().createDatabase();
    const a = await store(url);
    const b = await store(url);
    const got = new Set<string>();
    const stop = b.watchChanges((c: StoreChange) => {
      if (c.kind === 'status') got.add(c.mirror);
    });
    try {
      await until(async () => {
        await bump(a, 'w', 'probe');
        return got.has('probe');
      }, 'the listener is connected', 10_000);
      await Promise.all([...Array.from({ length: 12 }, (_, i) => bump(a, 'w', `m${i}`)), bump(a, 'w', 'probe')]);
      await until(() => Array.from({ length: 12 }, (_, i) => `m${i}`).every((m) => got.has(m)), 'a change for each job', 10_000);
    } finally {
      stop();
    }
  });

  it('refreshWorker in a batch returns the stored worker (undefined when not registered)', async () => {
    const s = await store();
    await s.createWorker(worker('w1'));
    await s.createWorker(worker('w2'));
    const t1 = at('2026-05-02T00:00:00Z');
    const t2 = at('2026-05-02T00:00:05Z');
    const [r1, r2, none] = await Promise.all([s.refreshWorker('w1', t1), s.refreshWorker('w2', t2), s.refreshWorker('nobody', t2), bump(s, 'w1', 'm')]);
    expect([r1?.lastOnline, r2?.lastOnline, none]).toEqual([t1, t2, undefined]);
    expect((await s.getWorker('w2'))?.lastOnline).toEqual(t2);
  });

  it('close() commits the writes already issued before it ends the pool', async () => {
    const url = await cluster().createDatabase();
    const s = new PostgresJobStore(url);
    await s.init();
    const writes = Array.from({ length: 10 }, (_, i) => bump(s, 'w', `m${i}`));
    await s.close();
    await Promise.all(writes);
    const again = await store(url);
    expect(await again.countMirrorStatus('w')).toBe(10);
  });

  it('quotes, backslashes and SQL in every text of a batch (sent as escaped literals) round-trip', async () => {
    const s = await store();
    const texts = ["it's", 'back\\slash\\', "x'; DROP TABLE runs; --", "E'\\''", 'ünï/cødé $1 $$'];
    const status = (t: string): MirrorStatus => ({ ...st(t, t, 'failed', t), upstream: t, errorMsg: t });
    const close = (t: string): RunHistoryStep => ({
      kind: 'close', runId: t, matchOpen: false, at: at('2026-05-01T10:00:00Z'), result: 'failed', trigger: 'manual', errorMsg: t, size: t, logFile: t,
    });
    const before = s.batchesCommitted;
    await Promise.all(texts.map((t) => s.updateMirrorStatus(t, t, () => status(t), () => close(t))));
    expect(s.batchesCommitted).toBe(before + 1);
    for (const t of texts) {
      expect(await s.getMirrorStatus(t, t)).toMatchObject({ worker: t, name: t, size: t, upstream: t, errorMsg: t });
      expect((await s.listRuns(t, { limit: 5 })).map((r) => [r.runId, r.worker, r.errorMsg, r.size, r.logFile])).toEqual([[t, t, t, t, t]]);
    }
  });

  it('the report path’s reads of one turn share a query and answer each caller', async () => {
    const s = await store();
    await s.createWorker(worker('w1'));
    await Promise.all([bump(s, 'w1', 'a'), bump(s, 'w1', 'b'), bump(s, 'w2', 'c')]);
    const [w1, none, nul, a, missing, nulJob, n1, n2, n0] = await Promise.all([
      s.getWorker('w1'), s.getWorker('w2'), s.getWorker('w\u0000'),
      s.getMirrorStatus('w1', 'a'), s.getMirrorStatus('w1', 'c'), s.getMirrorStatus('w1', 'a\u0000'),
      s.countMirrorStatus('w1'), s.countMirrorStatus('w2'), s.countMirrorStatus('w3'),
    ]);
    expect([w1?.id, none, nul]).toEqual(['w1', undefined, undefined]);
    expect([a?.name, a?.size, missing, nulJob]).toEqual(['a', '1', undefined, undefined]);
    expect([n1, n2, n0]).toEqual([2, 1, 0]);
  });
});
