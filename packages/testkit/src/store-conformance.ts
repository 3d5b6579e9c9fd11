/**
 * The JobStore contract as a reusable suite: every store (SQLite built in,
 * PostgreSQL or Redis from their packages) must pass `describeJobStore`.
 * `makeStore` makes a fresh, empty store; `reopen` (optional) makes the same
 * store again after `close()`, to check durability. The suite calls `init()`
 * on what they return (initialised or not: init is idempotent).
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { emptyMirrorStatus, zeroTime, type JobStore, type MirrorStatus, type WorkerStatus } from '@tunasync/core';
import { describeOpsStore } from './store-conformance-ops.js';
import { describeRunHistory } from './store-conformance-runs.js';
import { describeJobStats, describeJobStatsDurability } from './store-conformance-stats.js';

/** How the suite gets stores. */
export interface StoreFactory {
  /** A new, empty store; the suite calls its `init()`. */
  makeStore(): Promise<JobStore> | JobStore;
  /** The last made store's data, made again after it was closed; the suite calls its `init()`. */
  reopen?(): Promise<JobStore> | JobStore;
}

const t = (iso: string): Date => new Date(iso);

function worker(id: string, extra: Partial<WorkerStatus> = {}): WorkerStatus {
  return {
    id,
    url: `http://${id}.example:6000/`,
    token: `tok-${id}`,
    lastOnline: t('2026-01-02T03:04:05.678Z'),
    lastRegister: t('2026-01-01T00:00:00Z'),
    ...extra,
  };
}

function status(workerId: string, name: string, extra: Partial<MirrorStatus> = {}): MirrorStatus {
  return {
    ...emptyMirrorStatus(name, workerId),
    status: 'success',
    lastUpdate: t('2026-03-01T10:00:00.123Z'),
    lastStarted: t('2026-03-01T09:00:00Z'),
    lastEnded: t('2026-03-01T10:00:00.123Z'),
    nextSchedule: t('2026-03-01T11:00:00Z'),
    upstream: `rsync://up.example/${name}/`,
    size: '1.5G',
    errorMsg: '',
    ...extra,
  };
}

/** Registers the contract tests for one JobStore implementation. */
export function describeJobStore(name: string, factory: StoreFactory): void {
  describe(`JobStore conformance: ${name}`, () => {
    const open: JobStore[] = [];
    const make = async (): Promise<JobStore> => {
      const s = await factory.makeStore();
      open.push(s);
      await s.init();
      return s;
    };
    afterEach(async () => {
      for (const s of open.splice(0)) await s.close().catch(() => undefined);
    });

    it('starts empty', async () => {
      const s = await make();
      expect(await s.listWorkers()).toEqual([]);
      expect(await s.listAllMirrorStatus()).toEqual([]);
      expect(await s.getWorker('w')).toBeUndefined();
      expect(await s.getMirrorStatus('w', 'j')).toBeUndefined();
    });

    it('creates, replaces and lists workers ordered by id', async () => {
      const s = await make();
      expect(await s.createWorker(worker('b'))).toEqual(worker('b'));
      await s.createWorker(worker('a'));
      await s.createWorker(worker('c'));
      const replaced = worker('b', { url: 'https://b2.example/', token: 'new', lastRegister: t('2026-05-05T05:05:05Z') });
      expect(await s.createWorker(replaced)).toEqual(replaced);
      expect((await s.listWorkers()).map((w) => w.id)).toEqual(['a', 'b', 'c']);
      expect(await s.getWorker('b')).toEqual(replaced);
    });

    it('keeps millisecond times and Go zero time exactly', async () => {
      const s = await make();
      await s.createWorker(worker('z', { lastOnline: zeroTime(), lastRegister: t('2026-07-08T09:10:11.999Z') }));
      const got = await s.getWorker('z');
      expect(got?.lastOnline.getTime()).toBe(zeroTime().getTime());
      expect(got?.lastRegister.toISOString()).toBe('2026-07-08T09:10:11.999Z');
    });

    it('refreshes last_online only of registered workers', async () => {
      const s = await make();
      await s.createWorker(worker('w'));
      const at = t('2026-09-09T09:09:09Z');
      const refreshed = await s.refreshWorker('w', at);
      expect(refreshed?.lastOnline).toEqual(at);
      expect(refreshed?.lastRegister).toEqual(worker('w').lastRegister);
      expect((await s.getWorker('w'))?.lastOnline).toEqual(at);
      expect(await s.refreshWorker('ghost', at)).toBeUndefined();
      expect(await s.getWorker('ghost')).toBeUndefined();
    });

    it('deletes workers but keeps their jobs', async () => {
      const s = await make();
      await s.createWorker(worker('w'));
      await s.updateMirrorStatus('w', 'debian', () => status('w', 'debian'));
      expect(await s.deleteWorker('w')).toBe(true);
      expect(await s.deleteWorker('w')).toBe(false);
      expect(await s.getWorker('w')).toBeUndefined();
      expect(await s.getMirrorStatus('w', 'debian')).toEqual(status('w', 'debian'));
    });

    it('updateMirrorStatus passes the previous value and stores the result', async () => {
      const s = await make();
      const seen: (MirrorStatus | undefined)[] = [];
      const first = await s.updateMirrorStatus('w', 'arch', (prev) => {
        seen.push(prev);
        return status('w', 'arch', { status: 'syncing' });
      });
      expect(first).toEqual(status('w', 'arch', { status: 'syncing' }));
      await s.updateMirrorStatus('w', 'arch', (prev) => {
        seen.push(prev);
        return { ...prev!, status: 'failed', errorMsg: 'boom', isMaster: false };
      });
      expect(seen[0]).toBeUndefined();
      expect(seen[1]).toEqual(first);
      expect(await s.getMirrorStatus('w', 'arch')).toEqual(status('w', 'arch', { status: 'failed', errorMsg: 'boom', isMaster: false }));
    });

    it('updateMirrorStatus stores under the given worker and name', async () => {
      const s = await make();
      const stored = await s.updateMirrorStatus('w1', 'pypi', () => status('other', 'other'));
      expect(stored.worker).toBe('w1');
      expect(stored.name).toBe('pypi');
      expect(await s.getMirrorStatus('other', 'other')).toBeUndefined();
      expect((await s.getMirrorStatus('w1', 'pypi'))?.upstream).toBe('rsync://up.example/other/');
    });

    it('updateMirrorStatus writes nothing when the update throws', async () => {
      const s = await make();
      await s.updateMirrorStatus('w', 'a', () => status('w', 'a', { size: '1G' }));
      await expect(
        s.updateMirrorStatus('w', 'a', () => {
          throw new Error('refused');
        }),
      ).rejects.toThrow('refused');
      await expect(
        s.updateMirrorStatus('w', 'new', () => {
          throw new Error('refused');
        }),
      ).rejects.toThrow('refused');
      expect((await s.getMirrorStatus('w', 'a'))?.size).toBe('1G');
      expect(await s.getMirrorStatus('w', 'new')).toBeUndefined();
    });

    it('concurrent read-modify-writes do not lose updates', async () => {
      const s = await make();
      await s.updateMirrorStatus('w', 'counter', () => status('w', 'counter', { size: '0' }));
      await Promise.all(
        Array.from({ length: 50 }, () =>
          s.updateMirrorStatus('w', 'counter', (prev) => ({ ...prev!, size: String(Number(prev!.size) + 1) })),
        ),
      );
      expect((await s.getMirrorStatus('w', 'counter'))?.size).toBe('50');
    });

    it('lists a worker’s jobs by name and all jobs by worker then name', async () => {
      const s = await make();
      for (const [w, j] of [['w2', 'b'], ['w1', 'c'], ['w2', 'a'], ['w1', 'a']] as const) {
        await s.updateMirrorStatus(w, j, () => status(w, j));
      }
      expect((await s.listMirrorStatus('w2')).map((x) => x.name)).toEqual(['a', 'b']);
      expect(await s.listMirrorStatus('nobody')).toEqual([]);
      expect([await s.countMirrorStatus('w2'), await s.countMirrorStatus('w1'), await s.countMirrorStatus('nobody')]).toEqual([2, 2, 0]);
      expect((await s.listAllMirrorStatus()).map((x) => `${x.worker}/${x.name}`)).toEqual(['w1/a', 'w1/c', 'w2/a', 'w2/b']);
    });

    it('setSchedules updates known jobs of that worker only', async () => {
      const s = await make();
      await s.updateMirrorStatus('w', 'a', () => status('w', 'a'));
      await s.updateMirrorStatus('w', 'b', () => status('w', 'b'));
      await s.updateMirrorStatus('x', 'a', () => status('x', 'a'));
      const when = t('2027-01-01T00:00:00Z');
      const n = await s.setSchedules('w', [
        { name: 'a', nextSchedule: when },
        { name: 'unknown', nextSchedule: when },
      ]);
      expect(n).toBe(1);
      expect((await s.getMirrorStatus('w', 'a'))?.nextSchedule).toEqual(when);
      expect((await s.getMirrorStatus('w', 'b'))?.nextSchedule).toEqual(status('w', 'b').nextSchedule);
      expect((await s.getMirrorStatus('x', 'a'))?.nextSchedule).toEqual(status('x', 'a').nextSchedule);
      expect(await s.getMirrorStatus('w', 'unknown')).toBeUndefined();
      expect(await s.setSchedules('w', [])).toBe(0);
    });

    it('deleteMirrorStatus deletes one job of one worker', async () => {
      const s = await make();
      await s.updateMirrorStatus('w', 'a', () => status('w', 'a'));
      await s.updateMirrorStatus('w', 'b', () => status('w', 'b'));
      await s.updateMirrorStatus('v', 'a', () => status('v', 'a'));
      expect(await s.deleteMirrorStatus('w', 'a')).toBe(true);
      expect(await s.deleteMirrorStatus('w', 'a')).toBe(false);
      expect(await s.deleteMirrorStatus('nobody', 'b')).toBe(false);
      expect((await s.listAllMirrorStatus()).map((x) => `${x.worker}/${x.name}`)).toEqual(['v/a', 'w/b']);
    });

    it('flushDisabledJobs deletes only disabled jobs', async () => {
      const s = await make();
      await s.updateMirrorStatus('w', 'a', () => status('w', 'a', { status: 'disabled' }));
      await s.updateMirrorStatus('w', 'b', () => status('w', 'b', { status: 'paused' }));
      await s.updateMirrorStatus('v', 'c', () => status('v', 'c', { status: 'disabled' }));
      expect(await s.flushDisabledJobs()).toBe(2);
      expect((await s.listAllMirrorStatus()).map((x) => x.name)).toEqual(['b']);
      expect(await s.flushDisabledJobs()).toBe(0);
    });

    it('returned values are copies the caller may mutate', async () => {
      const s = await make();
      await s.createWorker(worker('w'));
      const w = await s.getWorker('w');
      w!.lastOnline.setTime(0);
      w!.url = 'changed';
      expect(await s.getWorker('w')).toEqual(worker('w'));
      const st = await s.updateMirrorStatus('w', 'a', () => status('w', 'a'));
      st.lastUpdate.setTime(0);
      expect(await s.getMirrorStatus('w', 'a')).toEqual(status('w', 'a'));
    });

    it('fails after close', async () => {
      const s = await make();
      await s.close();
      await expect(s.listWorkers()).rejects.toThrow();
    });

    it('init() is idempotent: a second call resolves and keeps the data', async () => {
      const s = await make();
      await s.createWorker(worker('w'));
      await s.updateMirrorStatus('w', 'a', () => status('w', 'a'));
      await expect(s.init()).resolves.toBeUndefined();
      await Promise.all([s.init(), s.init()]);
      expect(await s.listWorkers()).toEqual([worker('w')]);
      expect(await s.listAllMirrorStatus()).toEqual([status('w', 'a')]);
    });

    it('healthCheck() resolves while open and rejects after close', async () => {
      const s = await make();
      await expect(s.healthCheck()).resolves.toBeUndefined();
      await s.createWorker(worker('w'));
      await expect(s.healthCheck()).resolves.toBeUndefined();
      await s.close();
      await expect(s.healthCheck()).rejects.toThrow();
    });

    it('generation(), when declared, changes after each write and only then', async () => {
      const s = await make();
      if (!s.generation) {
        // Optional capability: a store without it is read on every GET /jobs.
        expect(s.generation).toBeUndefined();
        return;
      }
      const gen = async (): Promise<string> => s.generation!();
      const g0 = await gen();
      expect(typeof g0).toBe('string');
      await s.listWorkers();
      await s.listAllMirrorStatus();
      await s.getMirrorStatus('w', 'a');
      expect(await gen()).toBe(g0);
      await s.createWorker(worker('w'));
      const g1 = await gen();
      expect(g1).not.toBe(g0);
      expect(await gen()).toBe(g1);
      await s.updateMirrorStatus('w', 'a', () => status('w', 'a'));
      const g2 = await gen();
      expect(g2).not.toBe(g1);
      await s.setSchedules('w', [{ name: 'a', nextSchedule: t('2027-01-01T00:00:00Z') }]);
      const g3 = await gen();
      expect(g3).not.toBe(g2);
      await s.deleteMirrorStatus('w', 'a');
      expect(await gen()).not.toBe(g3);
    });

    describeRunHistory(make);
    describeJobStats(make);

    describeOpsStore(
      make,
      factory.reopen
        ? async (closed) => {
            await closed.close();
            const again = await factory.reopen!();
            open.push(again);
            await again.init();
            return again;
          }
        : undefined,
    );

    if (factory.reopen) {
      const reopen = factory.reopen.bind(factory);
      describeJobStatsDurability(make, async () => {
        const again = await reopen();
        open.push(again);
        await again.init();
        return again;
      });
      it('keeps everything across close and reopen', async () => {
        const s = await make();
        await s.createWorker(worker('w'));
        await s.updateMirrorStatus('w', 'a', () => status('w', 'a', { size: '9T' }));
        await s.close();
        const again = await reopen();
        open.push(again);
        await again.init();
        expect(await again.listWorkers()).toEqual([worker('w')]);
        expect(await again.listAllMirrorStatus()).toEqual([status('w', 'a', { size: '9T' })]);
      });

      it('keeps runs across close and reopen', async () => {
        const s = await make();
        const at = t('2026-04-01T00:00:00Z');
        await s.updateMirrorStatus('w', 'a', () => status('w', 'a', { status: 'pre-syncing' }), () => ({
          kind: 'open', runId: 'r1', at, trigger: 'force', attempt: 2,
        }));
        const before = await s.listRuns('a', { limit: 5 });
        await s.close();
        const again = await reopen();
        open.push(again);
        await again.init();
        expect(await again.listRuns('a', { limit: 5 })).toEqual(before);
        expect(before).toHaveLength(1);
      });
    }
  });
}
