/**
 * POST /cmd: recording stop/disable, forwarding a WorkerCmd to a real HTTP
 * server standing in for the worker, and reporting its answer.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { call, makeConfig, startFakeWorker, startTestManager, statusBody, workerBody, type FakeWorker, type TestManager } from './helpers.js';

let m: TestManager;
let fake: FakeWorker;
beforeEach(async () => {
  m = await startTestManager({ commandTimeoutMs: 500 });
  fake = await startFakeWorker();
  await call(m.url, 'POST', '/workers', { body: workerBody('w1', fake.url, 'registered-token') });
  await call(m.url, 'POST', '/workers/w1/jobs/debian', { body: statusBody('w1', 'debian', 'success', { size: '10G' }) });
});
afterEach(async () => {
  await fake.close();
  await m.close();
});

const cmd = (body: unknown) => call(m.url, 'POST', '/cmd', { body });

describe('POST /cmd', () => {
  it('forwards a WorkerCmd to the registered worker and reports success', async () => {
    const r = await cmd({ cmd: 'start', mirror_id: 'debian', worker_id: 'w1', args: ['-x'], options: { force: true } });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ message: 'successfully send command to worker w1' });
    expect(fake.received).toHaveLength(1);
    expect(fake.received[0]!.body).toEqual({ cmd: 'start', mirror_id: 'debian', args: ['-x'], options: { force: true } });
    expect(fake.received[0]!.contentType).toMatch(/^application\/json/);
    // Open API: the token the worker registered with is sent back to it.
    expect(fake.received[0]!.authorization).toBe('Bearer registered-token');
    expect(m.lines.some((l) => l.includes("Posting command 'start debian' to <w1>"))).toBe(true);
  });

  it('null args and options from a Go client become [] and {}', async () => {
    const r = await cmd({ cmd: 'ping', mirror_id: '', worker_id: 'w1', args: null, options: null });
    expect(r.status).toBe(200);
    expect(fake.received[0]!.body).toEqual({ cmd: 'ping', mirror_id: '', args: [], options: {} });
  });

  it.each([
    ['stop', 'paused'],
    ['disable', 'disabled'],
  ])('%s records %s once the worker accepted (tunasync: before forwarding)', async (verb, status) => {
    fake.delayMs = 50;
    const pending = cmd({ cmd: verb, mirror_id: 'debian', worker_id: 'w1' });
    // Poll until the fake has the command, then look at the store.
    while (fake.received.length === 0) await new Promise((r) => setTimeout(r, 5));
    const statusWhenForwarded = (await m.store.getMirrorStatus('w1', 'debian'))?.status;
    const r = await pending;
    expect(r.status).toBe(200);
    expect(statusWhenForwarded).toBe('success');
    const stored = await m.store.getMirrorStatus('w1', 'debian');
    expect(stored?.status).toBe(status);
    expect(stored?.size).toBe('10G');
  });

  it('stop is not recorded when the worker cannot be reached (tunasync recorded it)', async () => {
    await fake.close();
    const r = await cmd({ cmd: 'stop', mirror_id: 'debian', worker_id: 'w1' });
    expect(r.status).toBe(500);
    expect(r.body.error).toMatch(new RegExp(`^post command to worker w1\\(${fake.url.replace(/[.:/]/g, '\\$&')}\\) fail: .*ECONNREFUSED`));
    expect(r.body.code).toBe('worker_unreachable');
    expect((await m.store.getMirrorStatus('w1', 'debian'))?.status).toBe('success');
  });

  it('disable of a job the manager has not seen yet creates it as disabled', async () => {
    const r = await cmd({ cmd: 'disable', mirror_id: 'fresh', worker_id: 'w1' });
    expect(r.status).toBe(200);
    expect((await m.store.getMirrorStatus('w1', 'fresh'))?.status).toBe('disabled');
  });

  it('start and restart do not change the stored status', async () => {
    await cmd({ cmd: 'restart', mirror_id: 'debian', worker_id: 'w1' });
    expect((await m.store.getMirrorStatus('w1', 'debian'))?.status).toBe('success');
  });

  it('an unregistered worker is 400 and nothing is forwarded or written', async () => {
    const r = await cmd({ cmd: 'stop', mirror_id: 'debian', worker_id: 'test_worker2' });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ error: 'worker test_worker2 is not registered yet', code: 'worker_not_registered' });
    expect(fake.received).toHaveLength(0);
    expect(await m.store.getMirrorStatus('test_worker2', 'debian')).toBeUndefined();
  });

  it('an empty worker_id is 400 with a message (tunasync: empty 500)', async () => {
    const r = await cmd({ cmd: 'start', mirror_id: 'debian', worker_id: '' });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatch(/worker_id/);
    expect(fake.received).toHaveLength(0);
  });

  it('an unknown verb is 400 (tunasync ran start)', async () => {
    const r = await cmd({ cmd: 'explode', mirror_id: 'debian', worker_id: 'w1' });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatch(/cmd: must be one of "start", "stop"/);
    expect(fake.received).toHaveLength(0);
  });

  it('stop without mirror_id is 400 and nothing is written', async () => {
    const r = await cmd({ cmd: 'stop', mirror_id: '', worker_id: 'w1' });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('mirror_id is required for stop');
    expect(await m.store.getMirrorStatus('w1', '')).toBeUndefined();
    expect(fake.received).toHaveLength(0);
  });

  it.each([
    [404, { msg: 'Mirror debian not found' }, 'Mirror debian not found'],
    [406, { msg: 'Invalid Command' }, 'Invalid Command'],
    [500, { error: 'kaboom', code: 'internal' }, 'kaboom'],
  ])('a worker answering %i comes back as 502 with its message', async (status, body, text) => {
    fake.reply = { status, body };
    const r = await cmd({ cmd: 'start', mirror_id: 'debian', worker_id: 'w1' });
    expect(r.status).toBe(502);
    expect(r.body).toEqual({ error: `worker w1 answered ${status}: ${text}`, code: 'worker_refused' });
  });

  it('a worker that does not answer in time is 500 with the reason', async () => {
    fake.delayMs = 1500;
    const started = Date.now();
    const r = await cmd({ cmd: 'start', mirror_id: 'debian', worker_id: 'w1' });
    expect(r.status).toBe(500);
    expect(r.body.error).toMatch(/^post command to worker w1\(.*\) fail: Timeout/);
    expect(Date.now() - started).toBeLessThan(1400);
  });
});

describe('POST /cmd with configured tokens', () => {
  it('sends the worker’s configured token, not the registered one', async () => {
    const auth = { workerTokens: { w2: 'w2-token' }, workerToken: 'shared', adminTokens: ['admin'] };
    const a = await startTestManager({ config: makeConfig({ auth }) });
    const worker = await startFakeWorker();
    try {
      await call(a.url, 'POST', '/workers', { body: workerBody('w2', worker.url, 'whatever'), token: 'w2-token' });
      await call(a.url, 'POST', '/workers', { body: workerBody('w3', worker.url, 'whatever'), token: 'shared' });
      expect((await call(a.url, 'POST', '/cmd', { body: { cmd: 'ping', worker_id: 'w2' }, token: 'admin' })).status).toBe(200);
      expect((await call(a.url, 'POST', '/cmd', { body: { cmd: 'ping', worker_id: 'w3' }, token: 'admin' })).status).toBe(200);
      expect(worker.received.map((x) => x.authorization)).toEqual(['Bearer w2-token', 'Bearer shared']);
      const logs = a.lines.join('');
      expect(logs).toContain('Posting command');
      expect(logs).not.toMatch(/w2-token|shared|Bearer/);
    } finally {
      await worker.close();
      await a.close();
    }
  });
});
