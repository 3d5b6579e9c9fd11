/**
 * tunasync's manager server tests, scenario by scenario, plus the rules of
 * wire-protocol.md, against the real app on 127.0.0.1:0 and a SQLite file.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { emptyMirrorStatus, formatWebTime, ZERO_TIME_RFC3339 } from '@tunasync/core';
import { SqliteJobStore } from '@tunasync/manager';
import { call, startTestManager, statusBody, workerBody, type TestManager } from './helpers.js';

let m: TestManager;
beforeEach(async () => {
  m = await startTestManager();
});
afterEach(async () => {
  await m.close();
});

const get = (path: string) => call(m.url, 'GET', path);
const post = (path: string, body: unknown) => call(m.url, 'POST', path, { body });
const del = (path: string) => call(m.url, 'DELETE', path);

async function register(id: string): Promise<void> {
  const r = await post('/workers', workerBody(id, `http://${id}.local:6000/`));
  expect(r.status).toBe(200);
}

describe('basic routes', () => {
  it('GET /ping answers pong as JSON', async () => {
    const r = await get('/ping');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ message: 'pong' });
    expect(r.contentType).toBe('application/json; charset=utf-8');
  });

  it('empty lists are [] not null', async () => {
    expect((await get('/workers')).text).toBe('[]');
    expect((await get('/jobs')).text).toBe('[]');
    await register('w');
    expect((await get('/workers/w/jobs')).text).toBe('[]');
  });

  it('unknown routes are 404 with an error message', async () => {
    const r = await get('/nope');
    expect(r.status).toBe(404);
    expect(r.body.error).toMatch(/no route for GET \/nope/);
  });
});

describe('workers', () => {
  it('ten concurrent registrations, then list', async () => {
    const ids = Array.from({ length: 10 }, (_, i) => `test_worker${i}`);
    const answers = await Promise.all(ids.map((id) => post('/workers', workerBody(id, `http://${id}:6000/`, 'secret'))));
    for (const a of answers) expect(a.status).toBe(200);
    const r = await get('/workers');
    expect(r.status).toBe(200);
    expect(r.body.map((w: { id: string }) => w.id).sort()).toEqual([...ids].sort());
    for (const w of r.body) expect(w.token).toBe('REDACTED');
  });

  it('registration stores now as last_online and last_register and returns the worker redacted', async () => {
    const r = await post('/workers', workerBody('w1', 'http://w1:6000/', 'sekrit'));
    const now = m.clock.now().toISOString().replace('.000Z', 'Z');
    expect(r.body).toEqual({ id: 'w1', url: 'http://w1:6000/', token: 'REDACTED', last_online: now, last_register: now });
    expect(r.text).not.toContain('sekrit');
    const stored = await m.store.getWorker('w1');
    expect(stored?.lastRegister).toEqual(m.clock.now());
    expect(stored?.token).toBe('sekrit');
  });

  it('re-registration replaces the url and refreshes the times', async () => {
    await register('w1');
    m.clock.advance(60_000);
    await post('/workers', workerBody('w1', 'https://new-host:7000/'));
    const list = (await get('/workers')).body;
    expect(list).toHaveLength(1);
    expect(list[0].url).toBe('https://new-host:7000/');
    expect(list[0].last_register).toBe(m.clock.now().toISOString().replace('.000Z', 'Z'));
  });

  it('delete an existing worker', async () => {
    await register('w1');
    const r = await del('/workers/w1');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ message: 'deleted' });
    expect((await get('/workers')).body).toEqual([]);
  });

  it('delete a non-existing worker', async () => {
    const r = await del('/workers/test_worker233');
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ error: 'invalid workerID test_worker233', code: 'invalid_worker_id' });
  });

  it.each([
    ['GET', '/workers/ghost/jobs', undefined],
    ['POST', '/workers/ghost/jobs/debian', statusBody('ghost', 'debian', 'success')],
    ['POST', '/workers/ghost/jobs/debian/size', { name: 'debian', size: '1G' }],
    ['POST', '/workers/ghost/schedules', { schedules: [] }],
  ])('%s %s for an unknown worker is 400 invalid workerID and writes nothing', async (method, path, body) => {
    const r = await call(m.url, method, path, body === undefined ? {} : { body });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ error: 'invalid workerID ghost', code: 'invalid_worker_id' });
    expect(await m.store.listAllMirrorStatus()).toEqual([]);
    expect(await m.store.listWorkers()).toEqual([]);
  });
});

describe('job status reports', () => {
  beforeEach(() => register('w'));

  it('a success report sets last_update and last_ended; last_started stays zero', async () => {
    m.clock.advance(5_000);
    const now = m.clock.now();
    const r = await post('/workers/w/jobs/arch-sync1', statusBody('w', 'arch-sync1', 'success', { size: '3GB' }));
    expect(r.status).toBe(200);
    expect(r.body.last_update).toBe(now.toISOString().replace('.000Z', 'Z'));
    expect(r.body.last_ended).toBe(r.body.last_update);
    expect(r.body.last_started).toBe(ZERO_TIME_RFC3339);
    const jobs = (await get('/workers/w/jobs')).body;
    expect(jobs).toEqual([
      {
        name: 'arch-sync1',
        worker: 'w',
        is_master: true,
        status: 'success',
        last_update: r.body.last_update,
        last_started: ZERO_TIME_RFC3339,
        last_ended: r.body.last_update,
        next_schedule: ZERO_TIME_RFC3339,
        upstream: 'mirrors.tuna.tsinghua.edu.cn',
        size: '3GB',
        error_msg: '',
      },
    ]);
  });

  it('ignores client-sent times: the manager uses its own clock', async () => {
    const r = await post(
      '/workers/w/jobs/a',
      statusBody('w', 'a', 'success', { last_update: '2030-01-01T00:00:00+08:00', last_ended: '2030-01-01T00:00:00.5Z' }),
    );
    expect(new Date(r.body.last_update)).toEqual(m.clock.now());
    expect(new Date(r.body.last_ended)).toEqual(m.clock.now());
  });

  it('a pre-syncing report sets last_started and keeps last_update and last_ended', async () => {
    await post('/workers/w/jobs/a', statusBody('w', 'a', 'success'));
    const successAt = m.clock.now();
    const startAt = m.clock.advance(3_600_000);
    const r = await post('/workers/w/jobs/a', statusBody('w', 'a', 'pre-syncing'));
    expect(new Date(r.body.last_started)).toEqual(startAt);
    expect(new Date(r.body.last_update)).toEqual(successAt);
    expect(new Date(r.body.last_ended)).toEqual(successAt);
    // A second pre-syncing report is not a change: last_started stays.
    m.clock.advance(1000);
    const again = await post('/workers/w/jobs/a', statusBody('w', 'a', 'pre-syncing'));
    expect(new Date(again.body.last_started)).toEqual(startAt);
    // syncing keeps everything.
    m.clock.advance(1000);
    const syncing = await post('/workers/w/jobs/a', statusBody('w', 'a', 'syncing'));
    expect(new Date(syncing.body.last_started)).toEqual(startAt);
    expect(new Date(syncing.body.last_update)).toEqual(successAt);
  });

  it('a failed report sets last_ended only', async () => {
    await post('/workers/w/jobs/a', statusBody('w', 'a', 'success'));
    const successAt = m.clock.now();
    const failAt = m.clock.advance(10_000);
    const r = await post('/workers/w/jobs/a', statusBody('w', 'a', 'failed', { error_msg: 'rsync exit 23' }));
    expect(new Date(r.body.last_update)).toEqual(successAt);
    expect(new Date(r.body.last_ended)).toEqual(failAt);
    expect(r.body.error_msg).toBe('rsync exit 23');
  });

  it.each(['unknown', ''])('size %j keeps the stored size', async (size) => {
    await post('/workers/w/jobs/a', statusBody('w', 'a', 'success', { size: '5.5G' }));
    const r = await post('/workers/w/jobs/a', statusBody('w', 'a', 'syncing', { size }));
    expect(r.body.size).toBe('5.5G');
    expect((await m.store.getMirrorStatus('w', 'a'))?.size).toBe('5.5G');
  });

  it('a new size replaces the stored one', async () => {
    await post('/workers/w/jobs/a', statusBody('w', 'a', 'success', { size: '5.5G' }));
    const r = await post('/workers/w/jobs/a', statusBody('w', 'a', 'success', { size: '6G' }));
    expect(r.body.size).toBe('6G');
  });

  it('a report refreshes the worker’s last_online', async () => {
    const later = m.clock.advance(120_000);
    await post('/workers/w/jobs/a', statusBody('w', 'a', 'syncing'));
    expect((await m.store.getWorker('w'))?.lastOnline).toEqual(later);
  });

  it('is_master false is kept (role = slave)', async () => {
    const r = await post('/workers/w/jobs/a', statusBody('w', 'a', 'success', { is_master: false }));
    expect(r.body.is_master).toBe(false);
  });

  it('logs one line per status change with job, worker and status', async () => {
    await post('/workers/w/jobs/debian', statusBody('w', 'debian', 'syncing'));
    await post('/workers/w/jobs/debian', statusBody('w', 'debian', 'failed'));
    expect(m.lines.some((l) => l.includes('Job [debian] @<w> starts syncing'))).toBe(true);
    expect(m.lines.some((l) => l.includes('Job [debian] @<w> failed') && l.includes('status=failed'))).toBe(true);
  });
});

describe('set-size', () => {
  beforeEach(async () => {
    await register('w');
    await post('/workers/w/jobs/a', statusBody('w', 'a', 'success', { size: '1G' }));
  });

  it('sets the size and returns the stored status', async () => {
    const later = m.clock.advance(7_000);
    const r = await post('/workers/w/jobs/a/size', { name: 'a', size: '2.5T' });
    expect(r.status).toBe(200);
    expect(r.body.size).toBe('2.5T');
    expect(r.body.name).toBe('a');
    expect(r.body.status).toBe('success');
    expect((await m.store.getMirrorStatus('w', 'a'))?.size).toBe('2.5T');
    expect((await m.store.getWorker('w'))?.lastOnline).toEqual(later);
  });

  it.each(['unknown', ''])('size %j keeps the stored size (tunasync’s check was always true)', async (size) => {
    const r = await post('/workers/w/jobs/a/size', { name: 'a', size });
    expect(r.status).toBe(200);
    expect(r.body.size).toBe('1G');
  });

  it('an unknown job is 404 and creates nothing', async () => {
    const before = (await m.store.getWorker('w'))?.lastOnline;
    m.clock.advance(1000);
    const r = await post('/workers/w/jobs/nope/size', { name: 'nope', size: '1G' });
    expect(r.status).toBe(404);
    expect(r.body.error).toMatch(/job nope of worker w not found/);
    expect(await m.store.getMirrorStatus('w', 'nope')).toBeUndefined();
    expect((await m.store.getWorker('w'))?.lastOnline).toEqual(before);
  });
});

describe('schedules', () => {
  it('stores each job’s next run and answers {}', async () => {
    await register('w');
    await post('/workers/w/jobs/a', statusBody('w', 'a', 'success'));
    await post('/workers/w/jobs/b', statusBody('w', 'b', 'success'));
    const later = m.clock.advance(30_000);
    const r = await post('/workers/w/schedules', {
      schedules: [
        { name: 'a', next_schedule: '2026-11-21T15:00:00+08:00' },
        { name: 'b', next_schedule: '2026-11-21T08:00:00.250Z' },
        { name: 'not-a-job', next_schedule: '2026-11-21T08:00:00Z' },
      ],
    });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({});
    const jobs = (await get('/workers/w/jobs')).body;
    expect(jobs.map((j: { next_schedule: string }) => j.next_schedule)).toEqual(['2026-11-21T07:00:00Z', '2026-11-21T08:00:00.25Z']);
    expect(await m.store.getMirrorStatus('w', 'not-a-job')).toBeUndefined();
    expect((await m.store.getWorker('w'))?.lastOnline).toEqual(later);
  });

  it('a later status report without a schedule keeps next_schedule', async () => {
    await register('w');
    await post('/workers/w/jobs/a', statusBody('w', 'a', 'success'));
    await post('/workers/w/schedules', { schedules: [{ name: 'a', next_schedule: '2026-12-01T00:00:00Z' }] });
    const r = await post('/workers/w/jobs/a', statusBody('w', 'a', 'pre-syncing'));
    expect(r.body.next_schedule).toBe('2026-12-01T00:00:00Z');
  });
});

describe('GET /jobs and flush', () => {
  it('lists every job of every worker in the web format', async () => {
    await register('w1');
    await register('w2');
    await post('/workers/w1/jobs/b', statusBody('w1', 'b', 'success', { size: '1G' }));
    await post('/workers/w2/jobs/a', statusBody('w2', 'a', 'failed', { error_msg: 'secret detail' }));
    const now = m.clock.now();
    const r = await get('/jobs');
    expect(r.status).toBe(200);
    expect(r.body).toHaveLength(2);
    expect(r.body[0]).toEqual({
      name: 'b',
      is_master: true,
      status: 'success',
      last_update: formatWebTime(now),
      last_update_ts: Math.floor(now.getTime() / 1000),
      last_started: '0001-01-01 00:00:00 +0000',
      last_started_ts: -62135596800,
      last_ended: formatWebTime(now),
      last_ended_ts: Math.floor(now.getTime() / 1000),
      next_schedule: '0001-01-01 00:00:00 +0000',
      next_schedule_ts: -62135596800,
      upstream: 'mirrors.tuna.tsinghua.edu.cn',
      size: '1G',
    });
    expect(r.body[1].name).toBe('a');
    expect(r.text).not.toContain('error_msg');
    expect(r.text).not.toContain('"worker"');
  });

  it('uses the configured time zone for text times', async () => {
    const tz = await startTestManager({ timeZone: 'Asia/Shanghai' });
    try {
      await call(tz.url, 'POST', '/workers', { body: workerBody('w') });
      await call(tz.url, 'POST', '/workers/w/jobs/a', { body: statusBody('w', 'a', 'success') });
      const r = await call(tz.url, 'GET', '/jobs');
      expect(r.body[0].last_update).toBe('2026-11-21 14:00:00 +0800');
    } finally {
      await tz.close();
    }
  });

  it('sees writes made through another connection to the same file (the cached answer is refreshed)', async () => {
    await register('w');
    await post('/workers/w/jobs/a', statusBody('w', 'a', 'success'));
    const first = await get('/jobs');
    expect(first.contentType).toBe('application/json; charset=utf-8');
    expect((await get('/jobs')).text).toBe(first.text);
    const other = new SqliteJobStore(m.dbFile);
    await other.init();
    try {
      await other.updateMirrorStatus('w', 'a', (prev) => ({ ...prev!, size: '42T' }));
      await other.updateMirrorStatus('w', 'b', (prev) => ({ ...(prev ?? emptyMirrorStatus('b', 'w')), status: 'syncing' }));
    } finally {
      await other.close();
    }
    const after = (await get('/jobs')).body;
    expect(after.map((j: { name: string; size: string }) => `${j.name}:${j.size}`)).toEqual(['a:42T', 'b:unknown']);
  });

  it('DELETE /workers/:id/jobs/:job removes that job only (extension, tunasync#29)', async () => {
    await register('w');
    await register('v');
    await post('/workers/w/jobs/a', statusBody('w', 'a', 'success'));
    await post('/workers/w/jobs/b', statusBody('w', 'b', 'success'));
    await post('/workers/v/jobs/a', statusBody('v', 'a', 'success'));
    const r = await del('/workers/w/jobs/a');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ message: 'deleted' });
    expect((await get('/workers/w/jobs')).body.map((j: { name: string }) => j.name)).toEqual(['b']);
    expect((await get('/workers/v/jobs')).body.map((j: { name: string }) => j.name)).toEqual(['a']);
    const again = await del('/workers/w/jobs/a');
    expect(again.status).toBe(404);
    expect(again.body.error).toBe('job a of worker w not found');
    const unknown = await del('/workers/nobody/jobs/b');
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toBe('invalid workerID nobody');
  });

  it('DELETE /jobs/disabled removes disabled jobs only', async () => {
    await register('w');
    await post('/workers/w/jobs/a', statusBody('w', 'a', 'disabled'));
    await post('/workers/w/jobs/b', statusBody('w', 'b', 'success'));
    const r = await del('/jobs/disabled');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ message: 'flushed' });
    expect((await get('/jobs')).body.map((j: { name: string }) => j.name)).toEqual(['b']);
  });
});
