/**
 * The manager's `GET /metrics` and `GET /stale` (issue 16) through a real
 * manager on a SQLite file: `promtool check metrics` accepts the output,
 * values match what workers reported (one failed run bumps one counter,
 * sizes in bytes, timestamps in seconds), counters survive a restart on the
 * same file, access by read scope or `[metrics] token`, and stale mirrors
 * by a test clock from the schedules' extension fields.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { ConfigError, createSilentLogger, parseManagerConfig, type ManagerConfig, type MaintenanceState } from '@tunasync/core';
import { SqliteJobStore, createManagerApp, metricsRoutes } from '@tunasync/manager';
import { metricSample, promtoolCheck, request, serve, startTestManager, TestClock, type TestManager, testManagerConfig, useTempDirs } from '@tunasync/testkit';
import { statusBody, workerBody } from './helpers.js';

const dirs = useTempDirs();
const running: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const r of running.splice(0).reverse()) await r.close();
});

type Clocked = TestManager & { clock: TestClock };

async function manager(opts: { dbFile?: string; config?: Partial<ManagerConfig> } = {}): Promise<Clocked> {
  const clock = new TestClock('2026-11-21T06:00:00.000Z');
  const dbFile = opts.dbFile ?? join(dirs.make('tunasync-metrics-').dir, 'manager.db');
  const m = await startTestManager({ config: { ...testManagerConfig(dbFile), ...opts.config }, clock });
  running.push(m);
  return Object.assign(m, { clock });
}

async function post(m: Clocked, path: string, body: unknown, advanceS = 10): Promise<void> {
  m.clock.advance(advanceS * 1000);
  const r = await m.call('POST', path, body);
  expect([r.status, r.text]).toEqual([200, r.text]);
}

/** One whole run of our worker: pre-syncing, syncing, then the final report. */
async function run(m: Clocked, worker: string, mirror: string, runId: string, result: 'success' | 'failed', extra: Record<string, unknown> = {}): Promise<void> {
  const path = `/workers/${worker}/jobs/${mirror}`;
  await post(m, path, statusBody(worker, mirror, 'pre-syncing', { run_id: runId, attempt: 1 }));
  await post(m, path, statusBody(worker, mirror, 'syncing', { run_id: runId, attempt: 1 }));
  await post(m, path, statusBody(worker, mirror, result, { run_id: runId, attempt: 1, final: true, ...extra }), 50);
}

async function metrics(m: TestManager, token?: string): Promise<string> {
  const r = await m.call('GET', '/metrics', undefined, token);
  expect(r.status).toBe(200);
  expect(r.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  return r.text;
}

const sample = metricSample;
const promtool = promtoolCheck;

const L = (mirror: string, worker = 'w1'): string => `mirror="${mirror}",worker="${worker}"`;

describe('manager GET /metrics', () => {
  it('is accepted by promtool and says what was reported: statuses, times, sizes, counters', async () => {
    const m = await manager();
    await post(m, '/workers', workerBody('w1'));
    await run(m, 'w1', 'debian', 'r1', 'success', { size: '12G', duration_s: 41.5, transferred_bytes: 4096, exit_code: 0 });
    await run(m, 'w1', 'debian', 'r2', 'failed', { exit_code: 23, error_msg: 'rsync exited 23' });
    await post(m, '/workers/w1/jobs/arch', statusBody('w1', 'arch', 'syncing'));
    await post(m, '/workers/w1/schedules', { schedules: [{ name: 'debian', next_schedule: '2026-11-21T08:00:00Z' }] });
    const text = await metrics(m);
    expect(await promtool(text)).toEqual({ code: 0, out: '' });

    expect(sample(text, `tunasync_mirror_status{${L('debian')},status="failed"}`)).toBe(1);
    expect(sample(text, `tunasync_mirror_status{${L('debian')},status="success"}`)).toBe(0);
    expect(sample(text, `tunasync_mirror_status{${L('arch')},status="syncing"}`)).toBe(1);
    // One failed run: one failure, two runs in all, one in the streak.
    expect(sample(text, `tunasync_mirror_runs_total{${L('debian')}}`)).toBe(2);
    expect(sample(text, `tunasync_mirror_failures_total{${L('debian')}}`)).toBe(1);
    expect(sample(text, `tunasync_mirror_consecutive_failures{${L('debian')}}`)).toBe(1);
    expect(sample(text, `tunasync_mirror_transferred_bytes_total{${L('debian')}}`)).toBe(4096);
    expect(sample(text, `tunasync_mirror_last_transferred_bytes{${L('debian')}}`)).toBeUndefined();
    // The failed run's duration is the manager's: 10 s + 50 s from its pre-syncing.
    expect(sample(text, `tunasync_mirror_last_run_duration_seconds{${L('debian')}}`)).toBe(60);
    expect(sample(text, `tunasync_mirror_size_bytes{${L('debian')}}`)).toBe(12 * 1024 ** 3);
    // The first run succeeded at 06:01:20 (manager clock); times are seconds.
    expect(sample(text, `tunasync_mirror_last_success_timestamp_seconds{${L('debian')}}`)).toBe(Date.parse('2026-11-21T06:01:20Z') / 1000);
    expect(sample(text, `tunasync_mirror_last_ended_timestamp_seconds{${L('debian')}}`)).toBe(Date.parse('2026-11-21T06:02:30Z') / 1000);
    expect(sample(text, `tunasync_mirror_next_run_timestamp_seconds{${L('debian')}}`)).toBe(Date.parse('2026-11-21T08:00:00Z') / 1000);
    // arch never ran: no size, no success time, zero counters.
    expect(sample(text, `tunasync_mirror_size_bytes{${L('arch')}}`)).toBeUndefined();
    expect(sample(text, `tunasync_mirror_last_success_timestamp_seconds{${L('arch')}}`)).toBeUndefined();
    expect(sample(text, `tunasync_mirror_runs_total{${L('arch')}}`)).toBe(0);
    expect(sample(text, `tunasync_mirror_stale{${L('arch')}}`)).toBe(0);

    expect(sample(text, 'tunasync_workers_total')).toBe(1);
    expect(sample(text, 'tunasync_mirrors_total{status="failed"}')).toBe(1);
    expect(sample(text, 'tunasync_mirrors_total{status="syncing"}')).toBe(1);
    expect(sample(text, 'tunasync_mirrors_total{status="success"}')).toBe(0);
    expect(sample(text, 'tunasync_worker_last_seen_timestamp_seconds{worker="w1"}')).toBe(Date.parse('2026-11-21T06:02:50Z') / 1000);
    expect(text).toMatch(/^tunasync_build_info\{version="\d+\.\d+\.\d+[^"]*"\} 1$/m);
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);
    expect(text).not.toMatch(/\bjob="/);
  });

  it('a size string is bytes (binary units) and still passes promtool', async () => {
    const m = await manager();
    await post(m, '/workers', workerBody('w1'));
    await post(m, '/workers/w1/jobs/a_b', statusBody('w1', 'a_b', 'success', { size: '1.5K' }));
    const text = await metrics(m);
    expect(sample(text, `tunasync_mirror_size_bytes{${L('a_b')}}`)).toBe(1536);
    expect((await promtool(text)).code).toBe(0);
  });

  it('keeps its counters across a manager restart on the same SQLite file', async () => {
    const dbFile = join(dirs.make('tunasync-metrics-').dir, 'manager.db');
    const first = await manager({ dbFile });
    await post(first, '/workers', workerBody('w1'));
    await run(first, 'w1', 'm', 'r1', 'failed');
    await run(first, 'w1', 'm', 'r2', 'failed');
    await run(first, 'w1', 'm', 'r3', 'success', { transferred_bytes: 10 });
    await first.close();
    const again = await manager({ dbFile });
    const text = await metrics(again);
    expect(sample(text, `tunasync_mirror_runs_total{${L('m')}}`)).toBe(3);
    expect(sample(text, `tunasync_mirror_failures_total{${L('m')}}`)).toBe(2);
    expect(sample(text, `tunasync_mirror_consecutive_failures{${L('m')}}`)).toBe(0);
    expect(sample(text, `tunasync_mirror_last_transferred_bytes{${L('m')}}`)).toBe(10);
  });

  it('needs the read scope or the [metrics] token', async () => {
    const m = await manager({
      config: { auth: { workerToken: 'wt', workerTokens: {}, adminTokens: ['admin'], publicRead: false }, metrics: { token: 'prom-secret' } },
    });
    expect((await m.call('GET', '/metrics')).status).toBe(401);
    expect((await m.call('GET', '/metrics', undefined, 'wrong')).status).toBe(401);
    expect((await m.call('GET', '/metrics', undefined, 'prom-secret')).status).toBe(200);
    expect((await m.call('GET', '/metrics', undefined, 'admin')).status).toBe(200);
    // The metrics token reads nothing else.
    expect((await m.call('GET', '/jobs', undefined, 'prom-secret')).status).toBe(401);
    expect((await m.call('GET', '/stale', undefined, 'wt')).status).toBe(200);
    expect((await m.call('GET', '/stale')).status).toBe(401);
  });

  it('[metrics] token: an empty or non-string token refuses the config, naming the key', () => {
    expect(parseManagerConfig('[metrics]\ntoken = "abc"\n', 'm.conf').config.metrics).toEqual({ token: 'abc' });
    for (const bad of ['token = ""', 'token = 5']) {
      let err: unknown;
      try {
        parseManagerConfig(`[metrics]\n${bad}\n`, 'm.conf');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect(String((err as Error).message)).toMatch(/m\.conf.*metrics\.token/);
    }
  });
});

describe('manager /metrics hooks', () => {
  it('a metrics module given in routes replaces the built-in one (worker online hook); a store with maintenance state adds tunasync_maintenance', async () => {
    const dbFile = join(dirs.make('tunasync-metrics-').dir, 'manager.db');
    const store = new SqliteJobStore(dbFile);
    await store.init();
    const maintenance: MaintenanceState = { message: 'disk swap', since: new Date('2026-11-21T05:00:00Z') };
    const withMaintenance = Object.assign(store, { getMaintenance: async () => maintenance });
    const app = createManagerApp({
      config: testManagerConfig(dbFile),
      store: withMaintenance,
      logger: createSilentLogger(),
      routes: [metricsRoutes({ version: '9.9.9-test', defaultMetrics: false, workerOnline: (w) => w.id === 'up' })],
    });
    const served = await serve(app);
    running.push({ close: async () => { await served.close(); await store.close(); } });
    const base = `http://127.0.0.1:${served.port}`;
    for (const id of ['up', 'down']) expect((await request(base, 'POST', '/workers', { body: workerBody(id) })).status).toBe(200);
    const text = (await request(base, 'GET', '/metrics')).text;
    expect(sample(text, 'tunasync_build_info{version="9.9.9-test"}')).toBe(1);
    expect(text.match(/^tunasync_build_info/gm)).toHaveLength(1);
    expect(sample(text, 'tunasync_worker_online{worker="up"}')).toBe(1);
    expect(sample(text, 'tunasync_worker_online{worker="down"}')).toBe(0);
    expect(sample(text, 'tunasync_maintenance')).toBe(1);
    expect(text).not.toMatch(/^process_/m);
    expect((await promtool(text)).code).toBe(0);
  });
});

describe('stale mirrors', () => {
  async function setup(): Promise<Clocked> {
    const m = await manager();
    await post(m, '/workers', workerBody('w1'));
    await post(m, '/workers/w1/jobs/own', statusBody('w1', 'own', 'success'));
    await post(m, '/workers/w1/jobs/dflt', statusBody('w1', 'dflt', 'success'));
    await post(m, '/workers/w1/jobs/go', statusBody('w1', 'go', 'success'));
    await post(m, '/workers/w1/jobs/off', statusBody('w1', 'off', 'disabled'));
    await post(m, '/workers/w1/jobs/never', statusBody('w1', 'never', 'failed'));
    const next = '2026-11-21T07:00:00Z';
    await post(m, '/workers/w1/schedules', {
      schedules: [
        { name: 'own', next_schedule: next, stale_after_s: 36 * 3600, interval_s: 3600 },
        { name: 'dflt', next_schedule: next, interval_s: 3600 },
        { name: 'go', next_schedule: next },
        { name: 'off', next_schedule: next, interval_s: 60 },
        { name: 'never', next_schedule: next, interval_s: 60 },
      ],
    });
    return m;
  }

  it('GET /stale and tunasync_mirror_stale follow the manager clock: stale_after, else 2 x interval + 6h', async () => {
    const m = await setup();
    const stale = async (): Promise<unknown> => (await m.call('GET', '/stale')).body;
    const never = { mirror: 'never', worker: 'w1', last_success: null, stale_after_s: 120 + 6 * 3600, reason: 'never_succeeded' };
    expect(await stale()).toEqual([never]);
    m.clock.advance(8 * 3600 * 1000); // 8 h: past dflt's 2 h + 6 h
    expect(await stale()).toEqual([
      { mirror: 'dflt', worker: 'w1', last_success: '2026-11-21T06:00:30Z', stale_after_s: 8 * 3600, reason: 'older_than_default' },
      never,
    ]);
    m.clock.advance(28 * 3600 * 1000); // 36 h in all: own's stale_after
    expect(((await stale()) as { mirror: string }[]).map((e) => e.mirror)).toEqual(['dflt', 'never', 'own']);
    const text = await metrics(m);
    expect(sample(text, `tunasync_mirror_stale{${L('own')}}`)).toBe(1);
    expect(sample(text, `tunasync_mirror_stale{${L('go')}}`)).toBe(0);
    expect(sample(text, `tunasync_mirror_stale{${L('off')}}`)).toBe(0);
    // A new success ends it.
    await post(m, '/workers/w1/jobs/own', statusBody('w1', 'own', 'success'));
    expect(((await stale()) as { mirror: string }[]).map((e) => e.mirror)).toEqual(['dflt', 'never']);
  });

  it('a bad extension field in a schedule is a 400 naming it, and nothing is written', async () => {
    const m = await manager();
    await post(m, '/workers', workerBody('w1'));
    const r = await m.call('POST', '/workers/w1/schedules', { schedules: [{ name: 'a', next_schedule: '2026-11-21T07:00:00Z', stale_after_s: -1 }] });
    expect(r.status).toBe(400);
    expect(r.text).toMatch(/stale_after_s/);
    expect((await m.call('GET', '/stale')).body).toEqual([]);
  });
});
