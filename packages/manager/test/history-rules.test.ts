/** The pure parts of the run history: what a report does (runStepOf) and the stats of GET /jobs/:mirror. */
import { describe, expect, it } from '@jest/globals';
import { emptyMirrorStatus, type MirrorStatus, type RunRecord } from '@tunasync/core';
import { runStats, runStepOf } from '@tunasync/manager';

const now = new Date('2026-11-21T06:00:00Z');
const st = (status: MirrorStatus['status']): MirrorStatus => ({ ...emptyMirrorStatus('m', 'w'), status, size: '1G', errorMsg: 'e' });
const id = (): string => 'made-up';

describe('runStepOf', () => {
  it('with run fields: keeps the run open until success or a final failed', () => {
    const f = { runId: 'r', attempt: 2, trigger: 'force' as const };
    expect(runStepOf(undefined, st('pre-syncing'), f, now, id)).toEqual({ kind: 'open', runId: 'r', at: now, trigger: 'force', attempt: 2 });
    expect(runStepOf(st('syncing'), st('failed'), { ...f, final: false }, now, id)).toMatchObject({ kind: 'open', runId: 'r' });
    expect(runStepOf(st('syncing'), st('failed'), { ...f, final: true, exitCode: 1 }, now, id)).toMatchObject({
      kind: 'close', runId: 'r', matchOpen: false, result: 'failed', exitCode: 1, errorMsg: 'e', size: '1G', attempt: 2,
    });
    expect(runStepOf(st('syncing'), st('success'), f, now, id)).toMatchObject({ kind: 'close', result: 'success' });
    expect(runStepOf(st('syncing'), st('none'), f, now, id)).toBeUndefined();
  });

  it('without run fields: tunasync’s stream', () => {
    expect(runStepOf(st('success'), st('pre-syncing'), undefined, now, id)).toEqual({ kind: 'open', runId: 'made-up', at: now, trigger: 'schedule', attempt: 1, isNew: true });
    expect(runStepOf(st('pre-syncing'), st('pre-syncing'), undefined, now, id)).toBeUndefined();
    expect(runStepOf(st('failed'), st('syncing'), undefined, now, id)).toMatchObject({ kind: 'open', onlyIfNoneOpen: true });
    expect(runStepOf(st('syncing'), st('failed'), undefined, now, id)).toMatchObject({ kind: 'close', matchOpen: true, result: 'failed', trigger: 'schedule' });
  });

  it('paused and disabled abort, with or without run fields', () => {
    expect(runStepOf(st('syncing'), st('paused'), undefined, now, id)).toEqual({ kind: 'abort', at: now });
    expect(runStepOf(st('syncing'), st('disabled'), { runId: 'r' }, now, id)).toEqual({ kind: 'abort', at: now });
  });
});

describe('runStats', () => {
  const run = (result: RunRecord['result'], durationS?: number, endedAt?: string): RunRecord => ({
    runId: 'x', worker: 'w', mirror: 'm', trigger: 'schedule', startedAt: now, attempts: 1, errorMsg: '', size: '',
    ...(result ? { result } : {}), ...(durationS !== undefined ? { durationS } : {}), ...(endedAt ? { endedAt: new Date(endedAt) } : {}),
  });

  it('counts ended runs, failures, the success rate and duration percentiles of successes', () => {
    const runs = [
      run(undefined),
      run('success', 40, '2026-11-21T05:00:00Z'),
      run('aborted', 5),
      run('failed', 1),
      run('success', 10, '2026-11-21T04:00:00Z'),
      run('success', 30, '2026-11-21T03:00:00Z'),
      run('success', 20, '2026-11-21T02:00:00Z'),
    ];
    expect(runStats(runs)).toEqual({
      runs: 6, failures: 1, success_rate: 0.8, median_duration_s: 25, p95_duration_s: 40, last_success_at: '2026-11-21T05:00:00Z',
    });
  });

  it('is all nulls and zeros without ended runs', () => {
    expect(runStats([run(undefined)])).toEqual({ runs: 0, failures: 0, success_rate: null, median_duration_s: null, p95_duration_s: null, last_success_at: null });
  });
});
