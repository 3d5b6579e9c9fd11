/**
 * Run history through a real manager (issue 14): status reports posted as a
 * worker sends them, with and without run fields, become rows served by
 * `GET /jobs/:mirror/history` and `GET /jobs/:mirror`; `/cmd stop` aborts a
 * run; retention prunes to `[history] keep` and `max_age`; bad queries are
 * 400s naming the parameter.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { TestClock, startTestManager, testManagerConfig, until, useTempDirs, type TestManager } from '@tunasync/testkit';
import { startFakeWorker, statusBody, workerBody, type FakeWorker } from './helpers.js';

const dirs = useTempDirs();
const running: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const r of running.splice(0).reverse()) await r.close();
});

async function manager(history?: { keep: number; maxAgeS: number }, auth?: { adminTokens: string[]; publicRead: boolean }): Promise<TestManager & { clock: TestClock }> {
  const clock = new TestClock('2026-11-21T06:00:00.000Z');
  const dbFile = join(dirs.make('tunasync-history-').dir, 'manager.db');
  const config = { ...testManagerConfig(dbFile, auth ? { auth } : {}), ...(history ? { history } : {}) };
  const m = await startTestManager({ config, clock });
  running.push(m);
  return Object.assign(m, { clock });
}

async function register(m: TestManager, id: string, url?: string): Promise<void> {
  expect((await m.call('POST', '/workers', workerBody(id, url))).status).toBe(200);
}

/** Posts one status report of `mirror` on `worker`, `advanceS` seconds after the previous one. */
async function post(m: TestManager & { clock: TestClock }, worker: string, mirror: string, status: string, extra: Record<string, unknown> = {}, advanceS = 10): Promise<void> {
  m.clock.advance(advanceS * 1000);
  const r = await m.call('POST', `/workers/${worker}/jobs/${mirror}`, statusBody(worker, mirror, status, extra));
  expect(r.status).toBe(200);
}

async function history(m: TestManager, mirror: string, query = ''): Promise<Record<string, unknown>[]> {
  const r = await m.call('GET', `/jobs/${mirror}/history${query}`);
  expect(r.status).toBe(200);
  return r.body as Record<string, unknown>[];
}

describe('run history: reports with run fields', () => {
  it('a mirror that fails twice then succeeds is one run with 3 attempts and result success', async () => {
    const m = await manager();
    await register(m, 'w1');
    const run = { run_id: 'run-1', trigger: 'manual' };
    await post(m, 'w1', 'debian', 'pre-syncing', { ...run, attempt: 1 });
    await post(m, 'w1', 'debian', 'syncing', { ...run, attempt: 1 });
    await post(m, 'w1', 'debian', 'failed', { ...run, attempt: 1, final: false, error_msg: 'rsync exited 23' });
    await post(m, 'w1', 'debian', 'syncing', { ...run, attempt: 2 });
    await post(m, 'w1', 'debian', 'failed', { ...run, attempt: 2, final: false, error_msg: 'rsync exited 23' });
    await post(m, 'w1', 'debian', 'syncing', { ...run, attempt: 3 });
    await post(m, 'w1', 'debian', 'success', {
      ...run, attempt: 3, final: true, exit_code: 0, duration_s: 59.5, transferred_bytes: 4096, files_transferred: 3,
      log_file: 'debian_2026-11-21_06_00.log', size: '12G',
    });
    expect(await history(m, 'debian')).toEqual([
      {
        run_id: 'run-1', worker: 'w1', mirror: 'debian', trigger: 'manual',
        started_at: '2026-11-21T06:00:10Z', ended_at: '2026-11-21T06:01:10Z', duration_s: 59.5, result: 'success', attempts: 3,
        exit_code: 0, error_msg: '', size: '12G', transferred_bytes: 4096, files_transferred: 3, log_file: 'debian_2026-11-21_06_00.log',
      },
    ]);
  });

  it('a timeout is a failed run that keeps its exit status and message', async () => {
    const m = await manager();
    await register(m, 'w1');
    await post(m, 'w1', 'arch', 'pre-syncing', { run_id: 'r-timeout', attempt: 1 });
    await post(m, 'w1', 'arch', 'syncing', { run_id: 'r-timeout', attempt: 1 });
    await post(m, 'w1', 'arch', 'failed', { run_id: 'r-timeout', attempt: 1, final: true, exit_code: 137, error_msg: 'timeout after 5s' }, 5);
    const [row] = await history(m, 'arch');
    expect(row).toMatchObject({ run_id: 'r-timeout', result: 'failed', exit_code: 137, error_msg: 'timeout after 5s', attempts: 1, duration_s: 15, trigger: 'schedule' });
  });

  it('a stop mid-run (/cmd stop, the worker answers OK) aborts the run', async () => {
    const m = await manager();
    const fake: FakeWorker = await startFakeWorker();
    running.push(fake);
    await register(m, 'w1', fake.url);
    await post(m, 'w1', 'pypi', 'pre-syncing', { run_id: 'r-stop', attempt: 1 });
    await post(m, 'w1', 'pypi', 'syncing', { run_id: 'r-stop', attempt: 1 });
    m.clock.advance(30_000);
    const r = await m.call('POST', '/cmd', { cmd: 'stop', mirror_id: 'pypi', worker_id: 'w1' });
    expect(r.status).toBe(200);
    expect(fake.received).toHaveLength(1);
    const [row] = await history(m, 'pypi');
    expect(row).toMatchObject({ run_id: 'r-stop', result: 'aborted', ended_at: '2026-11-21T06:00:50Z', duration_s: 40, exit_code: null });
    const [entry] = (await m.call('GET', '/jobs/pypi')).body as Record<string, unknown>[];
    expect(entry).toMatchObject({ status: 'paused', last_run: { run_id: 'r-stop', result: 'aborted' } });
  });

  it('a report with a bad run field is a 400 naming it and writes nothing', async () => {
    const m = await manager();
    await register(m, 'w1');
    await post(m, 'w1', 'gnu', 'success');
    for (const [extra, field] of [
      [{ run_id: 'r', attempt: 0 }, 'attempt'],
      [{ run_id: 'r', trigger: 'cron' }, 'trigger'],
      [{ run_id: 'r', log_file: '../etc/passwd' }, 'log_file'],
      [{ run_id: 7 }, 'run_id'],
    ] as const) {
      const r = await m.call('POST', '/workers/w1/jobs/gnu', statusBody('w1', 'gnu', 'pre-syncing', extra));
      expect(r.status).toBe(400);
      expect(r.body.error).toContain(field);
    }
    expect(((await m.call('GET', '/workers/w1/jobs')).body as { status: string }[])[0]!.status).toBe('success');
    expect(await history(m, 'gnu')).toHaveLength(1);
  });
});

describe('run history: reports of tunasync’s worker (no run fields)', () => {
  it('a run starts at pre-syncing and each success or failed closes one row', async () => {
    const m = await manager();
    await register(m, 'w1');
    for (const s of ['pre-syncing', 'syncing', 'failed', 'syncing', 'failed', 'syncing', 'success']) {
      await post(m, 'w1', 'ubuntu', s, s === 'failed' ? { error_msg: 'exit 23' } : s === 'success' ? { size: '2T' } : {});
    }
    await post(m, 'w1', 'ubuntu', 'pre-syncing');
    await post(m, 'w1', 'ubuntu', 'pre-syncing');
    await post(m, 'w1', 'ubuntu', 'syncing');
    await post(m, 'w1', 'ubuntu', 'success');
    const rows = await history(m, 'ubuntu');
    expect(rows.map((r) => [r.result, r.started_at, r.ended_at, r.trigger, r.attempts])).toEqual([
      ['success', '2026-11-21T06:01:20Z', '2026-11-21T06:01:50Z', 'schedule', 1],
      ['success', '2026-11-21T06:01:00Z', '2026-11-21T06:01:10Z', 'schedule', 1],
      ['failed', '2026-11-21T06:00:40Z', '2026-11-21T06:00:50Z', 'schedule', 1],
      ['failed', '2026-11-21T06:00:10Z', '2026-11-21T06:00:30Z', 'schedule', 1],
    ]);
    expect(rows[1]).toMatchObject({ size: '2T', duration_s: 10, exit_code: null, transferred_bytes: null });
    expect(rows[2]).toMatchObject({ error_msg: 'exit 23' });
    expect(new Set(rows.map((r) => r.run_id)).size).toBe(4);
  });

  it('a new pre-syncing while a run is open aborts it', async () => {
    const m = await manager();
    await register(m, 'w1');
    await post(m, 'w1', 'm', 'pre-syncing');
    await post(m, 'w1', 'm', 'syncing');
    await post(m, 'w1', 'm', 'none');
    await post(m, 'w1', 'm', 'pre-syncing');
    const rows = await history(m, 'm');
    expect(rows.map((r) => r.result)).toEqual([null, 'aborted']);
  });
});

describe('run history: reading', () => {
  it('filters a mirror on two workers by worker and result, newest first, paged with before', async () => {
    const m = await manager();
    await register(m, 'w1');
    await register(m, 'w2');
    for (let i = 0; i < 3; i++) {
      for (const w of ['w1', 'w2']) {
        const result = w === 'w2' && i === 1 ? 'failed' : 'success';
        await post(m, w, 'debian', 'pre-syncing', { run_id: `${w}-${i}` });
        await post(m, w, 'debian', result, { run_id: `${w}-${i}`, final: true });
      }
    }
    const ids = (rows: Record<string, unknown>[]): unknown[] => rows.map((r) => r.run_id);
    expect(ids(await history(m, 'debian'))).toEqual(['w2-2', 'w1-2', 'w2-1', 'w1-1', 'w2-0', 'w1-0']);
    expect(ids(await history(m, 'debian', '?worker=w1'))).toEqual(['w1-2', 'w1-1', 'w1-0']);
    expect(ids(await history(m, 'debian', '?worker=w2&result=failed'))).toEqual(['w2-1']);
    expect(ids(await history(m, 'debian', '?limit=2'))).toEqual(['w2-2', 'w1-2']);
    expect(ids(await history(m, 'debian', '?limit=2&before=w1-2'))).toEqual(['w2-1', 'w1-1']);
    expect(ids(await history(m, 'debian', '?worker=w1&before=w1-1'))).toEqual(['w1-0']);
    expect(await history(m, 'debian', '?worker=nobody')).toEqual([]);

    const entries = (await m.call('GET', '/jobs/debian')).body as Record<string, unknown>[];
    expect(entries.map((e) => e.worker)).toEqual(['w1', 'w2']);
    const jobs = (await m.call('GET', '/jobs')).body as Record<string, unknown>[];
    const w2 = entries[1]!;
    expect(Object.keys(w2).sort()).toEqual([...Object.keys(jobs[1]!), 'last_run', 'stats', 'worker'].sort());
    const { worker: _w, last_run: lastRun, stats, ...web } = w2;
    expect(web).toEqual(jobs[1]);
    expect(lastRun).toMatchObject({ run_id: 'w2-2', result: 'success' });
    expect(stats).toEqual({ runs: 3, failures: 1, success_rate: 2 / 3, median_duration_s: 10, p95_duration_s: 10, last_success_at: '2026-11-21T06:02:00Z' });
  });

  it('bad query values are 400s naming the parameter; an unknown mirror is a 404', async () => {
    const m = await manager();
    await register(m, 'w1');
    await post(m, 'w1', 'debian', 'pre-syncing', { run_id: 'r1' });
    for (const [query, param] of [
      ['limit=-1', 'limit'], ['limit=abc', 'limit'], ['limit=5000', 'limit'], ['limit=0', 'limit'], ['limit=1.5', 'limit'],
      ['limit=1&limit=2', 'limit'], ['result=bogus', 'result'], ['worker=', 'worker'], ['before=nope', 'before'],
      ['before=r1&worker=w2', 'before'],
    ] as const) {
      const r = await m.call('GET', `/jobs/debian/history?${query}`);
      expect([query, r.status, r.body.code]).toEqual([query, 400, 'bad_request']);
      expect(r.body.error).toMatch(new RegExp(`^${param}: `));
    }
    expect((await m.call('GET', '/jobs/debian/history?limit=1000')).status).toBe(200);
    for (const path of ['/jobs/nothing/history', '/jobs/nothing', '/jobs/nothing/history?before=r1']) {
      const r = await m.call('GET', path);
      expect([path, r.status, r.body.code]).toEqual([path, 404, 'unknown_mirror']);
    }
    // A mirror with a status but no run yet is known.
    await post(m, 'w1', 'fresh', 'none');
    expect(await history(m, 'fresh')).toEqual([]);
    expect(((await m.call('GET', '/jobs/fresh')).body as Record<string, unknown>[])[0]).toMatchObject({ last_run: null, stats: { runs: 0, success_rate: null } });
  });

  it('history routes are reads: with public_read = false they need a token', async () => {
    const m = await manager(undefined, { adminTokens: ['admin'], publicRead: false });
    expect((await m.call('GET', '/jobs/debian/history')).status).toBe(401);
    expect((await m.call('GET', '/jobs/debian')).status).toBe(401);
    expect((await m.call('GET', '/jobs/debian', undefined, 'admin')).status).toBe(404);
  });

  it('/jobs is byte for byte what it is without run fields', async () => {
    const a = await manager();
    const b = await manager();
    for (const m of [a, b]) await register(m, 'w1');
    const stream: [string, Record<string, unknown>][] = [
      ['pre-syncing', { attempt: 1 }], ['syncing', { attempt: 1 }], ['failed', { attempt: 1, final: false }],
      ['syncing', { attempt: 2 }], ['success', { attempt: 2, final: true, exit_code: 0, size: '3G', transferred_bytes: 9 }],
    ];
    for (const [status, fields] of stream) {
      await post(a, 'w1', 'debian', status, { ...fields, run_id: 'x', trigger: 'force' });
      const { size } = fields;
      await post(b, 'w1', 'debian', status, size !== undefined ? { size } : {});
    }
    const ja = await a.call('GET', '/jobs');
    const jb = await b.call('GET', '/jobs');
    expect(ja.text).toBe(jb.text);
    expect(Object.keys((ja.body as object[])[0]!)).not.toContain('run_id');
  });
});

describe('run history: retention', () => {
  it('prunes each mirror and worker to keep, in the background', async () => {
    const m = await manager({ keep: 3, maxAgeS: 180 * 86_400 });
    await register(m, 'w1');
    await register(m, 'w2');
    for (let i = 0; i < 6; i++) {
      await post(m, 'w1', 'debian', 'pre-syncing', { run_id: `a${i}` });
      await post(m, 'w1', 'debian', 'success', { run_id: `a${i}`, final: true });
    }
    await post(m, 'w2', 'debian', 'pre-syncing', { run_id: 'b0' });
    await post(m, 'w2', 'debian', 'success', { run_id: 'b0', final: true });
    await until(async () => (await history(m, 'debian', '?worker=w1')).length === 3, 'w1 pruned to keep = 3', 5000);
    expect((await history(m, 'debian', '?worker=w1')).map((r) => r.run_id)).toEqual(['a5', 'a4', 'a3']);
    expect((await history(m, 'debian', '?worker=w2')).map((r) => r.run_id)).toEqual(['b0']);
  });

  it('deletes runs older than max_age, of every mirror, by the manager’s clock', async () => {
    const m = await manager({ keep: 100, maxAgeS: 3600 });
    await register(m, 'w1');
    for (const mirror of ['old', 'busy']) {
      await post(m, 'w1', mirror, 'pre-syncing', { run_id: `${mirror}-1` });
      await post(m, 'w1', mirror, 'success', { run_id: `${mirror}-1`, final: true });
    }
    m.clock.advance(2 * 3_600_000);
    await post(m, 'w1', 'busy', 'pre-syncing', { run_id: 'busy-2' });
    await post(m, 'w1', 'busy', 'success', { run_id: 'busy-2', final: true });
    await until(async () => (await history(m, 'old')).length === 0 && (await history(m, 'busy')).length === 1, 'runs older than 1h pruned', 5000);
    expect((await history(m, 'busy')).map((r) => r.run_id)).toEqual(['busy-2']);
  });
});
