/**
 * Runs a guard skipped (issue 18) as a real manager takes them: our worker
 * repeats the job's last status with `skipped: true` and the reason in
 * `error_msg`; the manager keeps the stored status and its times, changes
 * only the message, and records a `skipped` row in the history.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { TestClock, startTestManager, testManagerConfig, useTempDirs, type TestManager } from '@tunasync/testkit';
import { statusBody, workerBody } from './helpers.js';

const dirs = useTempDirs();
const running: TestManager[] = [];
afterEach(async () => {
  for (const r of running.splice(0).reverse()) await r.close();
});

async function manager(): Promise<TestManager & { clock: TestClock }> {
  const clock = new TestClock('2026-11-21T06:00:00.000Z');
  const m = await startTestManager({ config: testManagerConfig(join(dirs.make('tunasync-skip-').dir, 'manager.db')), clock });
  running.push(m);
  expect((await m.call('POST', '/workers', workerBody('w1'))).status).toBe(200);
  return Object.assign(m, { clock });
}

describe('skipped runs at the manager', () => {
  it('keep the last status and its times, replace the message, and add a skipped history row', async () => {
    const m = await manager();
    const run = (id: string, status: string, extra: Record<string, unknown> = {}) =>
      m.call('POST', '/workers/w1/jobs/debian', statusBody('w1', 'debian', status, { run_id: id, attempt: 1, trigger: 'schedule', ...extra }));
    expect((await run('r1', 'pre-syncing')).status).toBe(200);
    m.clock.advance(60_000);
    expect((await run('r1', 'success', { final: true, size: '1G' })).status).toBe(200);
    const before = (await m.call('GET', '/workers/w1/jobs')).body[0];

    m.clock.advance(3600_000);
    const skipped = await run('r2', 'success', { final: true, skipped: true, error_msg: 'skipped: 12G free, need 50G', duration_s: 0 });
    expect(skipped.status).toBe(200);
    const after = (await m.call('GET', '/workers/w1/jobs')).body[0];
    expect(after).toEqual({ ...before, error_msg: 'skipped: 12G free, need 50G', next_schedule: after.next_schedule });
    expect(after.last_update).toBe(before.last_update);
    expect(after.last_ended).toBe(before.last_ended);

    const rows = (await m.call('GET', '/jobs/debian/history')).body as Record<string, unknown>[];
    expect(rows.map((r) => [r.run_id, r.result])).toEqual([
      ['r2', 'skipped'],
      ['r1', 'success'],
    ]);
    expect(rows[0]).toMatchObject({ error_msg: 'skipped: 12G free, need 50G', duration_s: 0 });
  });

  it('a skipped first run of a new job stores it as never run, with the reason', async () => {
    const m = await manager();
    const r = await m.call('POST', '/workers/w1/jobs/new', statusBody('w1', 'new', 'none', { run_id: 'r1', final: true, skipped: true, error_msg: 'skipped: the upstream does not answer (refused)' }));
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'none', error_msg: 'skipped: the upstream does not answer (refused)', last_update: '0001-01-01T00:00:00Z' });
  });

  it('a skipped field that is not a boolean is a 400 naming it, and nothing is written', async () => {
    const m = await manager();
    const r = await m.call('POST', '/workers/w1/jobs/x', statusBody('w1', 'x', 'success', { run_id: 'r1', skipped: 'yes' }));
    expect(r.status).toBe(400);
    expect(r.body.error).toMatch(/^skipped: /);
    expect((await m.call('GET', '/workers/w1/jobs')).body).toEqual([]);
  });
});
