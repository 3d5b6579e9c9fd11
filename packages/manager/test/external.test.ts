/**
 * `POST /workers/:id/jobs/:job/external` (issue 21): a run done outside the
 * worker, recorded by an admin. A real manager on a test clock; reports
 * posted as a worker sends them.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { TestClock, startTestManager, testManagerConfig, useTempDirs, type TestManager } from '@tunasync/testkit';
import { statusBody, workerBody } from './helpers.js';

const dirs = useTempDirs();
const running: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const r of running.splice(0).reverse()) await r.close();
});

const ADMIN = 'admin-secret';
const WORKER = 'worker-secret';

async function manager(): Promise<TestManager & { clock: TestClock }> {
  const clock = new TestClock('2026-11-21T06:00:00.000Z');
  const dbFile = join(dirs.make('tunasync-external-').dir, 'manager.db');
  const m = await startTestManager({ config: testManagerConfig(dbFile, { auth: { adminTokens: [ADMIN], workerToken: WORKER } }), clock });
  running.push(m);
  expect((await m.call('POST', '/workers', workerBody('w1'), WORKER)).status).toBe(200);
  return Object.assign(m, { clock });
}

const external = (m: TestManager, body: unknown, job = 'debian', token = ADMIN) => m.call('POST', `/workers/w1/jobs/${job}/external`, body, token);

describe('POST /workers/:id/jobs/:job/external', () => {
  it('stamps success as a report would and adds an external history row', async () => {
    const m = await manager();
    expect((await m.call('POST', '/workers/w1/jobs/debian', statusBody('w1', 'debian', 'failed', { error_msg: 'rsync exited 23', size: '10G' }), WORKER)).status).toBe(200);
    m.clock.advance(60_000);
    const r = await external(m, { status: 'success', size: '12G', message: 'synced from a disk' });
    expect(r.status).toBe(200);
    const body = r.body as { job: Record<string, unknown>; run: Record<string, unknown> };
    expect(body.job).toMatchObject({ name: 'debian', worker: 'w1', status: 'success', last_update: '2026-11-21T06:01:00Z', last_ended: '2026-11-21T06:01:00Z', size: '12G', error_msg: '' });
    expect(body.run).toMatchObject({ trigger: 'external', result: 'success', started_at: '2026-11-21T06:01:00Z', ended_at: '2026-11-21T06:01:00Z', error_msg: 'synced from a disk', size: '12G', worker: 'w1' });
    const history = (await m.call('GET', '/jobs/debian/history')).body as Record<string, unknown>[];
    expect(history[0]).toEqual(body.run);
    expect(history[1]).toMatchObject({ result: 'failed', trigger: 'schedule' });
    const jobs = (await m.call('GET', '/jobs')).body as Record<string, unknown>[];
    expect(jobs).toEqual([expect.objectContaining({ name: 'debian', status: 'success', size: '12G', last_update_ts: Date.parse('2026-11-21T06:01:00Z') / 1000 })]);
  });

  it('failed at a given time keeps last_update, sets last_ended and the message; unknown size keeps the size', async () => {
    const m = await manager();
    await m.call('POST', '/workers/w1/jobs/debian', statusBody('w1', 'debian', 'success', { size: '10G' }), WORKER);
    m.clock.advance(3_600_000);
    const r = await external(m, { status: 'failed', at: '2026-11-21T06:30:00+00:00', size: 'unknown', message: 'disk full' });
    expect(r.status).toBe(200);
    expect((r.body as { job: unknown }).job).toMatchObject({ status: 'failed', last_update: '2026-11-21T06:00:00Z', last_ended: '2026-11-21T06:30:00Z', size: '10G', error_msg: 'disk full' });
  });

  it('refuses what it cannot record, writing nothing', async () => {
    const m = await manager();
    await m.call('POST', '/workers/w1/jobs/debian', statusBody('w1', 'debian', 'syncing'), WORKER);
    const cases: [unknown, string, number, string][] = [
      [{ status: 'syncing' }, 'debian', 400, 'bad_request'],
      [{ status: 'success', extra: 1 }, 'debian', 400, 'bad_request'],
      [{ status: 'success', at: 'yesterday' }, 'debian', 400, 'bad_request'],
      [{ status: 'success', at: '2026-11-21T07:00:00Z' }, 'debian', 400, 'bad_request'],
      [{ status: 'success', size: 5 }, 'debian', 400, 'bad_request'],
      [{ status: 'success' }, 'ghost', 404, 'not_found'],
      [{ status: 'success' }, 'debian', 409, 'job_syncing'],
    ];
    for (const [body, job, status, code] of cases) {
      const r = await external(m, body, job);
      expect({ body, status: r.status, code: (r.body as { code: string }).code }).toEqual({ body, status, code });
    }
    // Admin only: a worker's token may not, no token is a 401.
    expect((await external(m, { status: 'success' }, 'debian', WORKER)).status).toBe(403);
    expect((await m.call('POST', '/workers/w1/jobs/debian/external', { status: 'success' })).status).toBe(401);
    expect((await m.call('POST', '/workers/nobody/jobs/debian/external', { status: 'success' }, ADMIN)).body).toMatchObject({ code: 'invalid_worker_id' });
    expect((await m.call('GET', '/workers/w1/jobs')).body).toEqual([expect.objectContaining({ status: 'syncing' })]);
    expect((await m.call('GET', '/jobs/debian/history')).body).toEqual([expect.objectContaining({ result: null })]);
  });
});
