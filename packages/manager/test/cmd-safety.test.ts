/**
 * Issue 22, `/cmd` and worker URLs: no redirects followed, no link-local
 * worker URLs unless allowed, a worker's error body shown only when it is
 * worker-protocol JSON, and no phantom job from a refused stop/disable.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { LookupFunction } from 'node:net';
import express from 'express';
import type { ManagerConfig } from '@tunasync/core';
import { linkLocalGuard } from '@tunasync/manager';
import { call, makeConfig, startFakeWorker, startTestManager, statusBody, workerBody, type FakeWorker, type TestManager } from './helpers.js';
import { serve } from '@tunasync/testkit';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function manager(config: ManagerConfig = makeConfig()): Promise<TestManager> {
  const m = await startTestManager({ config, commandTimeoutMs: 1000 });
  cleanups.push(() => m.close());
  return m;
}

/** A server answering every request with `answer`, counting what it saw. */
async function server(answer: (res: express.Response) => void): Promise<{ url: string; hits: string[] }> {
  const hits: string[] = [];
  const app = express();
  app.use((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    answer(res);
  });
  const { url, close } = await serve(app);
  cleanups.push(close);
  return { url, hits };
}

describe('forwarding commands', () => {
  it('does not follow a redirect from the worker URL', async () => {
    const target = await server((res) => res.json({ msg: 'OK' }));
    const redirecting = await server((res) => res.redirect(302, `${target.url}/internal`));
    const m = await manager();
    await call(m.url, 'POST', '/workers', { body: workerBody('w1', `${redirecting.url}/`) });
    const r = await call(m.url, 'POST', '/cmd', { body: { cmd: 'start', worker_id: 'w1', mirror_id: 'a' } });
    expect(redirecting.hits).toEqual(['POST /']);
    expect(target.hits).toEqual([]);
    expect(r.status).toBe(502);
    expect(r.body).toEqual({ error: 'worker w1 answered 302', code: 'worker_refused' });
  });

  it("shows a worker's error only when it is worker-protocol JSON", async () => {
    let reply: (res: express.Response) => void = () => {};
    const w = await server((res) => reply(res));
    const m = await manager();
    await call(m.url, 'POST', '/workers', { body: workerBody('w1', `${w.url}/`) });
    const send = () => call(m.url, 'POST', '/cmd', { body: { cmd: 'start', worker_id: 'w1', mirror_id: 'a' } });

    reply = (res) => res.status(404).json({ msg: 'Mirror a not found' });
    expect((await send()).body).toEqual({ error: 'worker w1 answered 404: Mirror a not found', code: 'worker_refused' });
    reply = (res) => res.status(500).type('html').send('<html>ami-id: secret-internal-page</html>');
    expect((await send()).body).toEqual({ error: 'worker w1 answered 500', code: 'worker_refused' });
    reply = (res) => res.status(500).json({ secret: 'metadata', message: 'internal detail' });
    expect((await send()).body).toEqual({ error: 'worker w1 answered 500', code: 'worker_refused' });
  });

  it('an unreachable worker is a 500 with code worker_unreachable (tunasync’s status)', async () => {
    const m = await manager();
    const w = await startFakeWorker();
    await w.close();
    await call(m.url, 'POST', '/workers', { body: workerBody('w1', w.url) });
    const r = await call(m.url, 'POST', '/cmd', { body: { cmd: 'start', worker_id: 'w1', mirror_id: 'a' } });
    expect(r.status).toBe(500);
    expect(r.body.code).toBe('worker_unreachable');
    expect(r.body.error).toMatch(/^post command to worker w1\(.*\) fail: /);
  });
});

describe('link-local worker URLs', () => {
  it.each(['http://169.254.169.254/', 'http://169.254.1.2:6000/', 'https://[fe80::1]:6000/', 'http://[febf::1]/', 'http://[::ffff:169.254.169.254]/'])(
    '%s is refused at registration',
    async (url) => {
      const m = await manager();
      const r = await call(m.url, 'POST', '/workers', { body: workerBody('w1', url) });
      expect(r.status).toBe(400);
      expect(r.body.code).toBe('worker_url_not_allowed');
      expect(r.body.error).toMatch(/^url: .*link-local.*allow_worker_urls/);
      expect(await m.store.listWorkers()).toEqual([]);
    },
  );

  it('is accepted when [server] allow_worker_urls names it; other addresses stay as they were', async () => {
    const base = makeConfig();
    const m = await manager({ ...base, server: { ...base.server, allowWorkerUrls: ['169.254.10.1', 'http://[fe80::2]:6000'] } });
    for (const url of ['http://169.254.10.1:6000/', 'http://[fe80::2]:6000/', 'http://10.0.0.5:6000/', 'http://[fec0::1]/', 'http://mirror.example/']) {
      expect([url, (await call(m.url, 'POST', '/workers', { body: workerBody('w1', url) })).status]).toEqual([url, 200]);
    }
    for (const url of ['http://169.254.10.2:6000/', 'http://[fe80::2]:6001/']) {
      expect([url, (await call(m.url, 'POST', '/workers', { body: workerBody('w1', url) })).status]).toEqual([url, 400]);
    }
  });
});

describe('stop and disable are recorded only once the worker accepted', () => {
  let m: TestManager;
  let fake: FakeWorker;
  beforeEach(async () => {
    m = await manager();
    fake = await startFakeWorker();
    cleanups.push(() => fake.close());
    await call(m.url, 'POST', '/workers', { body: workerBody('w1', fake.url) });
    await call(m.url, 'POST', '/workers/w1/jobs/debian', { body: statusBody('w1', 'debian', 'success') });
  });

  it.each(['stop', 'disable'])('%s of a mirror the worker does not have leaves no phantom job', async (verb) => {
    fake.reply = { status: 404, body: { msg: 'Mirror ghost not found' } };
    const r = await call(m.url, 'POST', '/cmd', { body: { cmd: verb, worker_id: 'w1', mirror_id: 'ghost' } });
    expect(r.status).toBe(502);
    expect(await m.store.getMirrorStatus('w1', 'ghost')).toBeUndefined();
    expect((await call(m.url, 'GET', '/jobs')).body.map((j: { name: string }) => j.name)).toEqual(['debian']);
  });

  it('a refused stop leaves an existing job as it was', async () => {
    fake.reply = { status: 400, body: { msg: 'Invalid request' } };
    expect((await call(m.url, 'POST', '/cmd', { body: { cmd: 'stop', worker_id: 'w1', mirror_id: 'debian' } })).status).toBe(502);
    expect((await m.store.getMirrorStatus('w1', 'debian'))?.status).toBe('success');
  });

  it('an accepted stop is recorded as paused', async () => {
    expect((await call(m.url, 'POST', '/cmd', { body: { cmd: 'stop', worker_id: 'w1', mirror_id: 'debian' } })).status).toBe(200);
    expect((await m.store.getMirrorStatus('w1', 'debian'))?.status).toBe('paused');
  });
});

describe('host names that resolve to link-local addresses', () => {
  type Answer = string | { address: string; family: number }[];
  const fakeDns =
    (answer: Answer): LookupFunction =>
    (_host, _options, callback) =>
      callback(null, answer, typeof answer === 'string' ? 4 : undefined);
  const lookup = (fn: LookupFunction, host: string, all: boolean) =>
    new Promise<{ err: NodeJS.ErrnoException | null; address: Answer }>((resolve) => fn(host, { all }, (err, address) => resolve({ err, address })));

  it('are refused when the command is sent, unless allowed', async () => {
    const guarded = linkLocalGuard(fakeDns('169.254.169.254'), []);
    const r = await lookup(guarded, 'metadata.google.internal', false);
    expect(r.err?.code).toBe('ERR_WORKER_URL_LINK_LOCAL');
    expect(r.err?.message).toMatch(/metadata\.google\.internal resolves to the link-local address 169\.254\.169\.254/);
    const many = linkLocalGuard(fakeDns([{ address: '10.0.0.1', family: 4 }, { address: 'fe80::1', family: 6 }]), []);
    expect((await lookup(many, 'w.example', true)).err?.code).toBe('ERR_WORKER_URL_LINK_LOCAL');
    const allowed = linkLocalGuard(fakeDns('169.254.169.254'), ['metadata.google.internal']);
    expect(await lookup(allowed, 'metadata.google.internal', false)).toEqual({ err: null, address: '169.254.169.254' });
    const plain = linkLocalGuard(fakeDns([{ address: '10.0.0.1', family: 4 }]), []);
    expect(await lookup(plain, 'w.example', true)).toEqual({ err: null, address: [{ address: '10.0.0.1', family: 4 }] });
  });
});
