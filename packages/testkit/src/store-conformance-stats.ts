/**
 * The job stats and job metadata part of the JobStore contract (issue 16):
 * counters kept in the transaction that closes a run (success/failed count,
 * aborted does not), untouched by history pruning, and the metadata our
 * worker sends with its schedules. Registered by describeJobStore.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { expect, it } from '@jest/globals';
import { emptyMirrorStatus, type ChangeFeed, type JobStore, type MirrorStatus, type RunHistoryStep, type StoreChange } from '@tunasync/core';

const T0 = Date.parse('2026-05-01T00:00:00Z');
const at = (s: number): Date => new Date(T0 + s * 1000);

async function report(s: JobStore, worker: string, mirror: string, status: MirrorStatus['status'], step: RunHistoryStep | undefined): Promise<void> {
  await s.updateMirrorStatus(worker, mirror, () => ({ ...emptyMirrorStatus(mirror, worker), status }), () => step);
}

const open = (runId: string, sec: number): RunHistoryStep => ({ kind: 'open', runId, at: at(sec), trigger: 'schedule', attempt: 1 });

function close(runId: string, sec: number, result: 'success' | 'failed', extra: Partial<Extract<RunHistoryStep, { kind: 'close' }>> = {}): RunHistoryStep {
  return { kind: 'close', runId, matchOpen: false, at: at(sec), result, trigger: 'schedule', errorMsg: '', size: '', ...extra };
}

/** One whole run: pre-syncing (open), then its final report (close). */
async function run(s: JobStore, worker: string, mirror: string, runId: string, sec: number, result: 'success' | 'failed', extra: Partial<Extract<RunHistoryStep, { kind: 'close' }>> = {}): Promise<void> {
  await report(s, worker, mirror, 'pre-syncing', open(runId, sec));
  await report(s, worker, mirror, 'syncing', undefined);
  await report(s, worker, mirror, result, close(runId, sec + 60, result, extra));
}

/** Registers the stats cases; `make` gives a fresh, initialised store. */
export function describeJobStats(make: () => Promise<JobStore>): void {
  it('stats: zeros for a job without closed runs; no row listed for it', async () => {
    const s = await make();
    expect(await s.getJobStats('w', 'none')).toEqual({
      worker: 'w', mirror: 'none', runsTotal: 0, failuresTotal: 0, consecutiveFailures: 0, transferredBytesTotal: 0,
    });
    await report(s, 'w', 'm', 'pre-syncing', open('r', 0));
    expect(await s.getJobStats('w', 'm')).toMatchObject({ runsTotal: 0, failuresTotal: 0 });
    expect(await s.listJobStats()).toEqual([]);
  });

  it('stats: each closed run counts once; a failure bumps failures and the streak; a success ends the streak', async () => {
    const s = await make();
    await run(s, 'w', 'm', 'r1', 0, 'success', { durationS: 50, transferredBytes: 1000 });
    expect(await s.getJobStats('w', 'm')).toEqual({
      worker: 'w', mirror: 'm', runsTotal: 1, failuresTotal: 0, consecutiveFailures: 0, transferredBytesTotal: 1000,
      lastResult: 'success', lastDurationS: 50, lastTransferredBytes: 1000,
    });
    await run(s, 'w', 'm', 'r2', 100, 'failed', { durationS: 5 });
    await run(s, 'w', 'm', 'r3', 200, 'failed');
    expect(await s.getJobStats('w', 'm')).toEqual({
      worker: 'w', mirror: 'm', runsTotal: 3, failuresTotal: 2, consecutiveFailures: 2, transferredBytesTotal: 1000,
      lastResult: 'failed', lastDurationS: 60,
    });
    await run(s, 'w', 'm', 'r4', 300, 'success', { transferredBytes: 24 });
    expect(await s.getJobStats('w', 'm')).toMatchObject({ runsTotal: 4, failuresTotal: 2, consecutiveFailures: 0, transferredBytesTotal: 1024, lastTransferredBytes: 24 });
  });

  it('stats: a second final report of a closed run, reports without a step and a repeated open count nothing', async () => {
    const s = await make();
    await run(s, 'w', 'm', 'r1', 0, 'failed');
    await report(s, 'w', 'm', 'failed', close('r1', 70, 'failed', { exitCode: 1 }));
    await report(s, 'w', 'm', 'failed', undefined);
    expect(await s.getJobStats('w', 'm')).toMatchObject({ runsTotal: 1, failuresTotal: 1, consecutiveFailures: 1 });
  });

  it('stats: an aborted run is not counted but is the last result; a late final of it counts nothing', async () => {
    const s = await make();
    await run(s, 'w', 'm', 'r1', 0, 'failed');
    await report(s, 'w', 'm', 'pre-syncing', open('r2', 100));
    await report(s, 'w', 'm', 'paused', { kind: 'abort', at: at(130) });
    expect(await s.getJobStats('w', 'm')).toEqual({
      worker: 'w', mirror: 'm', runsTotal: 1, failuresTotal: 1, consecutiveFailures: 1, transferredBytesTotal: 0,
      lastResult: 'aborted', lastDurationS: 30,
    });
    await report(s, 'w', 'm', 'failed', close('r2', 140, 'failed', { exitCode: 143 }));
    expect(await s.getJobStats('w', 'm')).toMatchObject({ runsTotal: 1, failuresTotal: 1, lastResult: 'aborted' });
  });

  it('stats: tunasync-style closes (matchOpen) and a close of an unknown run count too', async () => {
    const s = await make();
    await report(s, 'w', 'm', 'pre-syncing', open('t1', 0));
    await report(s, 'w', 'm', 'failed', close('t2', 10, 'failed', { matchOpen: true }));
    await report(s, 'w', 'm', 'success', close('late', 100, 'success', { durationS: 40, transferredBytes: 7 }));
    expect(await s.getJobStats('w', 'm')).toMatchObject({ runsTotal: 2, failuresTotal: 1, consecutiveFailures: 0, transferredBytesTotal: 7, lastDurationS: 40 });
  });

  it('stats: jobs are counted apart, listed by worker then mirror, and pruning the history lowers nothing', async () => {
    const s = await make();
    await run(s, 'w2', 'a', 'x1', 0, 'success');
    await run(s, 'w1', 'b', 'x2', 0, 'failed');
    await run(s, 'w1', 'a', 'x3', 0, 'success');
    await run(s, 'w1', 'a', 'x4', 100, 'success');
    expect((await s.listJobStats()).map((j) => [j.worker, j.mirror, j.runsTotal, j.failuresTotal])).toEqual([
      ['w1', 'a', 2, 0],
      ['w1', 'b', 1, 1],
      ['w2', 'a', 1, 0],
    ]);
    await s.pruneRuns('w1', 'a', { keep: 0, olderThan: at(10_000) });
    expect(await s.listRuns('a', { limit: 10, worker: 'w1' })).toEqual([]);
    expect((await s.getJobStats('w1', 'a')).runsTotal).toBe(2);
  });

  it('meta: stored per job, replaced by the next call, listed by worker then mirror', async () => {
    const s = await make();
    expect(await s.listJobMeta()).toEqual([]);
    await s.setJobMeta('w2', [{ mirror: 'z', intervalS: 3600 }]);
    await s.setJobMeta('w1', [
      { mirror: 'b', staleAfterS: 129_600, intervalS: 7200 },
      { mirror: 'a', intervalS: 60 },
    ]);
    expect(await s.listJobMeta()).toEqual([
      { worker: 'w1', mirror: 'a', intervalS: 60 },
      { worker: 'w1', mirror: 'b', staleAfterS: 129_600, intervalS: 7200 },
      { worker: 'w2', mirror: 'z', intervalS: 3600 },
    ]);
    await s.setJobMeta('w1', [{ mirror: 'b', intervalS: 600 }]);
    expect((await s.listJobMeta()).find((m) => m.mirror === 'b')).toEqual({ worker: 'w1', mirror: 'b', intervalS: 600 });
    await s.setJobMeta('w1', []);
    expect(await s.listJobMeta()).toHaveLength(3);
    expect(await s.getJobMeta('w1', 'b')).toEqual({ worker: 'w1', mirror: 'b', intervalS: 600 });
    expect(await s.getJobMeta('w2', 'z')).toEqual({ worker: 'w2', mirror: 'z', intervalS: 3600 });
    expect(await s.getJobMeta('w2', 'a')).toBeUndefined();
  });

  it('meta: a store with a change feed announces a job whose metadata changed, and only those', async () => {
    const s = await make();
    const feed = s as Partial<ChangeFeed>;
    // A store without a feed has nothing to announce: the metadata itself is checked above.
    if (typeof feed.watchChanges !== 'function') return expect(await s.getJobMeta('w', 'a')).toBeUndefined();
    const seen: StoreChange[] = [];
    const stop = feed.watchChanges((c) => seen.push(c));
    const heard = (mirror: string): boolean => seen.some((c) => c.kind === 'status' && c.mirror === mirror);
    try {
      // A feed may start listening in the background (PostgreSQL): change a's metadata until the feed tells of it.
      for (let i = 0; !heard('a'); i++) {
        if (i === 500) throw new Error('the change feed never told of a job metadata change');
        await s.setJobMeta('w', [{ mirror: 'a', intervalS: 60 + i }, { mirror: 'b', intervalS: 60 }]);
        await sleep(10);
      }
      await s.setJobMeta('w', [{ mirror: 'b', intervalS: 60 }]);
      seen.length = 0;
      await s.setJobMeta('w', [{ mirror: 'b', intervalS: 60 }, { mirror: 'c', intervalS: 60 }]);
      await s.setJobMeta('w', [{ mirror: 'b', intervalS: 120 }]);
      for (let i = 0; i < 500 && !heard('b'); i++) await sleep(10);
      // c is new (announced), b changed (announced), b's unchanged write before was not.
      expect(seen.filter((c) => c.kind === 'status')).toEqual([
        { kind: 'status', worker: 'w', mirror: 'c' },
        { kind: 'status', worker: 'w', mirror: 'b' },
      ]);
    } finally {
      stop();
    }
  });
}

/** The durability case, when the store can be reopened: counters and metadata survive. */
export function describeJobStatsDurability(make: () => Promise<JobStore>, reopen: () => Promise<JobStore>): void {
  it('stats: counters and metadata survive close and reopen', async () => {
    const s = await make();
    await run(s, 'w', 'm', 'r1', 0, 'failed');
    await run(s, 'w', 'm', 'r2', 100, 'success', { transferredBytes: 5 });
    await s.setJobMeta('w', [{ mirror: 'm', staleAfterS: 3600 }]);
    await s.close();
    const again = await reopen();
    expect(await again.getJobStats('w', 'm')).toMatchObject({ runsTotal: 2, failuresTotal: 1, consecutiveFailures: 0, transferredBytesTotal: 5 });
    expect(await again.listJobMeta()).toEqual([{ worker: 'w', mirror: 'm', staleAfterS: 3600 }]);
  });
}
