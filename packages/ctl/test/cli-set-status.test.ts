/**
 * `tunasynctl set-status` (issue 21, tunasync#178): a run done outside the
 * worker is recorded through the manager, shows in `/jobs` and the history
 * (trigger `external`), and stays until the worker's own next run, across a
 * restart of the worker. The built bin against a real manager and worker.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestWorker, type TestWorkerConf } from '@tunasync/testkit';
import type { Worker } from '@tunasync/worker';
import { cleanEnv, ctl, startTestManager, tempDir, until, type CtlEnv, type TestManager } from './helpers.js';

// Every test runs the built bin several times: a node start each, seconds on a loaded machine.
jest.setTimeout(120_000);

const t = tempDir();
let m: TestManager;
let w: Worker;
let env: CtlEnv;
let at: string[];
let conf: TestWorkerConf;

beforeAll(async () => {
  m = await startTestManager(t.dir);
  env = cleanEnv(t.dir);
  at = ['-m', '127.0.0.1', '-p', String(m.port)];
  writeFileSync(join(t.dir, 'quick.sh'), '#!/bin/sh\necho synced\n', { mode: 0o755 });
  // Runs only when told (cron on New Year's midnight).
  conf = {
    dir: t.dir,
    name: 'w1',
    apiBase: m.url,
    global: { interval: 60 },
    mirrors: `[[mirrors]]\nname = "quick"\nprovider = "command"\ncommand = "${t.dir}/quick.sh"\ncron = "0 0 1 1 *"\nupstream = "https://upstream.example/quick/"\n`,
  };
  w = await createTestWorker(conf);
  await w.start();
});
afterAll(async () => {
  await w?.halt();
  await m.close();
  t.cleanup();
});

const tunasynctl = (...args: string[]) => ctl([...args, ...at], env);

interface Job { name: string; status: string; size: string; last_update: string; error_msg: string }
const jobOf = async (): Promise<Job | undefined> => ((await m.call('GET', '/workers/w1/jobs')).body as Job[]).find((j) => j.name === 'quick');
const history = async (): Promise<Record<string, unknown>[]> => (await m.call('GET', '/jobs/quick/history')).body as Record<string, unknown>[];

describe('set-status', () => {
  it('records a run done by hand: /jobs, history, and the worker does not overwrite it until its own next run', async () => {
    // The job's first run puts it on the manager.
    expect(await tunasynctl('start', '-w', 'w1', 'quick')).toMatchObject({ code: 0 });
    await until(async () => ((await jobOf())?.status === 'success' ? true : undefined), 'quick synced once');
    const before = (await jobOf())!;

    // Without -w: the only worker that has it.
    const r = await tunasynctl('set-status', 'quick', 'failed', '--at', '2026-01-02T03:04:05Z', '--size', '7G', '--message', 'disk died half way');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^quick: failed recorded on w1 at 2026-01-02T03:04:05\.000Z, history run \S+\n$/);
    const failed = (await jobOf())!;
    expect(failed).toMatchObject({ status: 'failed', size: '7G', error_msg: 'disk died half way', last_update: before.last_update });

    const ok = await tunasynctl('set-status', '-w', 'w1', 'quick', 'success', '--size', '8G', '--message', 'synced from a USB disk');
    expect(ok.code).toBe(0);
    const recorded = (await jobOf())!;
    expect(recorded).toMatchObject({ status: 'success', size: '8G', error_msg: '' });
    expect(Date.parse(recorded.last_update)).toBeGreaterThan(Date.parse(before.last_update));
    const all = (await m.call('GET', '/jobs')).body as Record<string, unknown>[];
    expect(all).toEqual([expect.objectContaining({ name: 'quick', status: 'success', size: '8G' })]);
    const rows = await history();
    // Newest start first: the backdated failed run is the oldest.
    expect(rows).toEqual([
      expect.objectContaining({ trigger: 'external', result: 'success', error_msg: 'synced from a USB disk', size: '8G' }),
      expect.objectContaining({ trigger: 'manual', result: 'success' }),
      expect.objectContaining({ trigger: 'external', result: 'failed', started_at: '2026-01-02T03:04:05Z', ended_at: '2026-01-02T03:04:05Z' }),
    ]);
    // tunasynctl history shows them.
    const shown = await tunasynctl('history', 'quick', '-f', '{{.Trigger}} {{.Result}}');
    expect(shown.stdout).toBe('external success\nmanual success\nexternal failed\n');

    // A restarted worker reads the manager's view and reports nothing over it.
    await w.halt();
    w = await createTestWorker(conf);
    await w.start();
    expect(await w.flushReports()).toBe(true);
    expect(await jobOf()).toEqual(recorded);

    // Its own next run reports over it, as any run does.
    expect(await tunasynctl('start', '-w', 'w1', 'quick')).toMatchObject({ code: 0 });
    await until(async () => ((await history())[0]?.trigger === 'manual' && (await history())[0]?.result === 'success' ? true : undefined), 'the worker\'s own run recorded');
    const after = (await jobOf())!;
    expect(after.status).toBe('success');
    expect(Date.parse(after.last_update)).toBeGreaterThan(Date.parse(recorded.last_update));
  });

  it('says what is wrong: a bad status, an unknown job, a job syncing now', async () => {
    const bad = await tunasynctl('set-status', '-w', 'w1', 'quick', 'syncing');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/Invalid values:.*syncing/s);
    expect(await tunasynctl('set-status', '-w', 'w1', 'ghost', 'success')).toEqual({ code: 1, stdout: '', stderr: 'tunasynctl: job ghost of worker w1 not found\n' });
    expect(await tunasynctl('set-status', 'ghost', 'success')).toEqual({ code: 1, stdout: '', stderr: 'tunasynctl: no worker has a mirror ghost\n' });
    expect((await tunasynctl('set-status', 'quick', 'success', '--at', 'soon')).stderr).toMatch(/^tunasynctl: --at must be a time/);
    await m.call('POST', '/workers/w1/jobs/quick', {
      name: 'quick', worker: 'w1', is_master: true, status: 'syncing', last_update: '0001-01-01T00:00:00Z', last_started: '0001-01-01T00:00:00Z',
      last_ended: '0001-01-01T00:00:00Z', next_schedule: '0001-01-01T00:00:00Z', upstream: 'u', size: 'unknown', error_msg: '',
    });
    expect(await tunasynctl('set-status', 'quick', 'success')).toEqual({
      code: 1, stdout: '', stderr: 'tunasynctl: job quick of worker w1 is syncing now: its run will report its own result (stop it first)\n',
    });
  });
});
