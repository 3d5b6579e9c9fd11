/**
 * The run-history part of the JobStore contract (issue 14): RunHistoryStep
 * applied with a status update, history order, filters, `before` paging and
 * retention. Registered by describeJobStore.
 */
import { expect, it } from '@jest/globals';
import { emptyMirrorStatus, type JobStore, type MirrorStatus, type RunHistoryStep, type RunRecord } from '@tunasync/core';

const T0 = Date.parse('2026-04-01T00:00:00Z');
const at = (s: number): Date => new Date(T0 + s * 1000);

function st(worker: string, name: string, status: MirrorStatus['status']): MirrorStatus {
  return { ...emptyMirrorStatus(name, worker), status, size: '2G' };
}

/** Stores `status` for the job together with `step`, as the manager's status route does. */
async function report(s: JobStore, worker: string, mirror: string, status: MirrorStatus['status'], step: RunHistoryStep | undefined): Promise<void> {
  await s.updateMirrorStatus(worker, mirror, () => st(worker, mirror, status), () => step);
}

const open = (runId: string, sec: number, attempt = 1, extra: Partial<Extract<RunHistoryStep, { kind: 'open' }>> = {}): RunHistoryStep => ({
  kind: 'open',
  runId,
  at: at(sec),
  trigger: 'schedule',
  attempt,
  ...extra,
});

const close = (
  runId: string,
  sec: number,
  result: 'success' | 'failed',
  extra: Partial<Extract<RunHistoryStep, { kind: 'close' }>> = {},
): Extract<RunHistoryStep, { kind: 'close' }> => ({ kind: 'close', runId, matchOpen: false, at: at(sec), result, trigger: 'schedule', errorMsg: '', size: '2G', ...extra });

/** Makes `n` closed runs r0..r{n-1} of a job, one a minute. */
async function runs(s: JobStore, worker: string, mirror: string, n: number, from = 0, result: 'success' | 'failed' = 'success'): Promise<void> {
  for (let i = from; i < from + n; i++) {
    await report(s, worker, mirror, 'pre-syncing', open(`${worker}-${mirror}-r${i}`, i * 60));
    await report(s, worker, mirror, result, close(`${worker}-${mirror}-r${i}`, i * 60 + 30, result));
  }
}

const ids = (rows: RunRecord[]): string[] => rows.map((r) => r.runId);

/** Registers the run-history cases; `make` gives a fresh, initialised store. */
export function describeRunHistory(make: () => Promise<JobStore>): void {
  it('runs: a run opens, raises its attempts and closes with its details', async () => {
    const s = await make();
    await report(s, 'w', 'debian', 'pre-syncing', open('r1', 0, 1, { trigger: 'manual' }));
    expect(await s.listRuns('debian', { limit: 10 })).toEqual([
      { runId: 'r1', worker: 'w', mirror: 'debian', trigger: 'manual', startedAt: at(0), attempts: 1, errorMsg: '', size: '' },
    ]);
    await report(s, 'w', 'debian', 'failed', open('r1', 10, 2));
    await report(s, 'w', 'debian', 'syncing', open('r1', 11, 3));
    await report(s, 'w', 'debian', 'syncing', open('r1', 12, 2));
    expect((await s.getRun('debian', 'r1'))?.attempts).toBe(3);
    await report(
      s,
      'w',
      'debian',
      'success',
      close('r1', 90, 'success', { attempt: 3, exitCode: 0, durationS: 89.5, transferredBytes: 1234, filesTransferred: 7, logFile: 'debian_x.log', size: '3G' }),
    );
    const row = await s.getRun('debian', 'r1', 'w');
    expect(row).toEqual({
      runId: 'r1', worker: 'w', mirror: 'debian', trigger: 'manual', startedAt: at(0), endedAt: at(90), durationS: 89.5,
      result: 'success', attempts: 3, exitCode: 0, errorMsg: '', size: '3G', transferredBytes: 1234, filesTransferred: 7, logFile: 'debian_x.log',
    });
    expect(await s.getRun('debian', 'r1', 'other')).toBeUndefined();
    expect(await s.getRun('ubuntu', 'r1')).toBeUndefined();
  });

  it('runs: a close without duration counts from the start; a failed close keeps its exit code and message', async () => {
    const s = await make();
    await report(s, 'w', 'm', 'pre-syncing', open('r', 0));
    await report(s, 'w', 'm', 'failed', close('r', 45, 'failed', { exitCode: 124, errorMsg: 'timeout after 30s' }));
    const row = await s.getRun('m', 'r');
    expect(row).toMatchObject({ result: 'failed', durationS: 45, exitCode: 124, errorMsg: 'timeout after 30s', endedAt: at(45) });
  });

  it('runs: abort closes the open run as aborted; a late final only adds missing details', async () => {
    const s = await make();
    await report(s, 'w', 'm', 'pre-syncing', open('r', 0));
    await report(s, 'w', 'm', 'paused', { kind: 'abort', at: at(20) });
    expect(await s.getRun('m', 'r')).toMatchObject({ result: 'aborted', endedAt: at(20), durationS: 20 });
    await report(s, 'w', 'm', 'failed', close('r', 25, 'failed', { exitCode: 143, logFile: 'm.log', errorMsg: 'killed' }));
    expect(await s.getRun('m', 'r')).toMatchObject({ result: 'aborted', endedAt: at(20), durationS: 20, exitCode: 143, logFile: 'm.log' });
    // An abort with nothing open changes nothing.
    await report(s, 'w', 'm', 'disabled', { kind: 'abort', at: at(30) });
    expect(await s.listRuns('m', { limit: 10 })).toHaveLength(1);
  });

  it('runs: a new run aborts the job’s open one, not other jobs’', async () => {
    const s = await make();
    await report(s, 'w', 'm', 'pre-syncing', open('a', 0));
    await report(s, 'v', 'm', 'pre-syncing', open('b', 1));
    await report(s, 'w', 'm', 'pre-syncing', open('c', 10));
    expect(await s.getRun('m', 'a')).toMatchObject({ result: 'aborted', endedAt: at(10) });
    expect((await s.getRun('m', 'b'))?.result).toBeUndefined();
    expect((await s.getRun('m', 'c'))?.result).toBeUndefined();
  });

  it('runs: a close of an unknown run inserts it, started its duration earlier', async () => {
    const s = await make();
    await report(s, 'w', 'm', 'success', close('late', 100, 'success', { durationS: 40, attempt: 2 }));
    expect(await s.getRun('m', 'late')).toMatchObject({ startedAt: at(60), endedAt: at(100), attempts: 2, result: 'success', durationS: 40 });
  });

  it('runs: tunasync-style steps (matchOpen, onlyIfNoneOpen) make one row per success or failed', async () => {
    const s = await make();
    const tuna = (runId: string, sec: number, result: 'success' | 'failed'): RunHistoryStep => ({ ...close(runId, sec, result), matchOpen: true });
    await report(s, 'w', 'm', 'pre-syncing', open('t1', 0));
    await report(s, 'w', 'm', 'syncing', open('t2', 1, 1, { onlyIfNoneOpen: true }));
    await report(s, 'w', 'm', 'failed', tuna('t3', 10, 'failed'));
    await report(s, 'w', 'm', 'syncing', open('t4', 11, 1, { onlyIfNoneOpen: true }));
    await report(s, 'w', 'm', 'success', tuna('t5', 20, 'success'));
    await report(s, 'w', 'm', 'failed', tuna('t6', 30, 'failed'));
    const rows = await s.listRuns('m', { limit: 10 });
    expect(rows.map((r) => [r.runId, r.result, r.startedAt.getTime() - T0, r.endedAt!.getTime() - T0])).toEqual([
      ['t6', 'failed', 30_000, 30_000],
      ['t4', 'success', 11_000, 20_000],
      ['t1', 'failed', 0, 10_000],
    ]);
  });

  it('runs: nothing is recorded when the status update throws', async () => {
    const s = await make();
    await expect(
      s.updateMirrorStatus(
        'w',
        'm',
        () => {
          throw new Error('refused');
        },
        () => open('r', 0),
      ),
    ).rejects.toThrow('refused');
    expect(await s.listRuns('m', { limit: 10 })).toEqual([]);
  });

  it('runs: the step callback sees the previous and the stored status', async () => {
    const s = await make();
    const seen: [string | undefined, string][] = [];
    const spy = (p: MirrorStatus | undefined, n: MirrorStatus): undefined => void seen.push([p?.status, n.status]);
    await s.updateMirrorStatus('w', 'm', () => st('w', 'm', 'pre-syncing'), spy);
    await s.updateMirrorStatus('w', 'm', () => st('w', 'm', 'syncing'), spy);
    expect(seen).toEqual([[undefined, 'pre-syncing'], ['pre-syncing', 'syncing']]);
  });

  it('runs: newest first across workers, filtered by worker and result, paged with before', async () => {
    const s = await make();
    await runs(s, 'w', 'm', 3);
    await runs(s, 'v', 'm', 2, 3, 'failed');
    await runs(s, 'w', 'other', 2);
    expect(ids(await s.listRuns('m', { limit: 10 }))).toEqual(['v-m-r4', 'v-m-r3', 'w-m-r2', 'w-m-r1', 'w-m-r0']);
    expect(ids(await s.listRuns('m', { limit: 2 }))).toEqual(['v-m-r4', 'v-m-r3']);
    expect(ids(await s.listRuns('m', { limit: 10, worker: 'w' }))).toEqual(['w-m-r2', 'w-m-r1', 'w-m-r0']);
    expect(ids(await s.listRuns('m', { limit: 10, result: 'failed' }))).toEqual(['v-m-r4', 'v-m-r3']);
    expect(ids(await s.listRuns('m', { limit: 10, result: 'failed', worker: 'w' }))).toEqual([]);
    expect(ids(await s.listRuns('m', { limit: 2, before: 'v-m-r3' }))).toEqual(['w-m-r2', 'w-m-r1']);
    expect(ids(await s.listRuns('m', { limit: 10, before: 'w-m-r1', worker: 'w' }))).toEqual(['w-m-r0']);
    expect(await s.listRuns('m', { limit: 10, before: 'w-other-r1' })).toEqual([]);
    expect(await s.listRuns('nothing', { limit: 10 })).toEqual([]);
  });

  it('runs: runs started at the same instant page in insertion order, newest first', async () => {
    const s = await make();
    for (const id of ['a', 'b', 'c', 'd']) await report(s, 'w', 'm', 'failed', close(id, 5, 'failed'));
    expect(ids(await s.listRuns('m', { limit: 10 }))).toEqual(['d', 'c', 'b', 'a']);
    expect(ids(await s.listRuns('m', { limit: 2, before: 'c' }))).toEqual(['b', 'a']);
  });

  it('runs: pruneRuns keeps the newest `keep` of one job and drops those too old', async () => {
    const s = await make();
    await runs(s, 'w', 'm', 8);
    await runs(s, 'v', 'm', 3);
    expect(await s.pruneRuns('w', 'm', { keep: 5, olderThan: at(0) })).toBe(3);
    expect(ids(await s.listRuns('m', { limit: 20, worker: 'w' }))).toEqual(['w-m-r7', 'w-m-r6', 'w-m-r5', 'w-m-r4', 'w-m-r3']);
    expect(await s.listRuns('m', { limit: 20, worker: 'v' })).toHaveLength(3);
    // r4 started at 240 s: older than 300 s goes.
    expect(await s.pruneRuns('w', 'm', { keep: 5, olderThan: at(300) })).toBe(2);
    expect(ids(await s.listRuns('m', { limit: 20, worker: 'w' }))).toEqual(['w-m-r7', 'w-m-r6', 'w-m-r5']);
    expect(await s.pruneRuns('w', 'm', { keep: 5, olderThan: at(0) })).toBe(0);
  });

  it('runs: pruneOldRuns deletes at most `limit` runs older than the cutoff, of any job', async () => {
    const s = await make();
    await runs(s, 'w', 'a', 4);
    await runs(s, 'v', 'b', 4);
    expect(await s.pruneOldRuns(at(120), 3)).toBe(3);
    expect(await s.pruneOldRuns(at(120), 3)).toBe(1);
    expect(await s.pruneOldRuns(at(120), 3)).toBe(0);
    expect(ids(await s.listRuns('a', { limit: 10 }))).toEqual(['w-a-r3', 'w-a-r2']);
    expect(ids(await s.listRuns('b', { limit: 10 }))).toEqual(['v-b-r3', 'v-b-r2']);
  });
}
