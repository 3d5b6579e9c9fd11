/**
 * The auth matrix (architecture.md, Security): no token, wrong token, another
 * worker's token, the shared worker token, an admin token, per route.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Authenticator, tokensEqual } from '@tunasync/manager';
import { call, makeConfig, startFakeWorker, startTestManager, statusBody, workerBody, type FakeWorker, type TestManager } from './helpers.js';

const ADMIN = 'admin-secret-0123456789';
const W1 = 'w1-secret';
const W2 = 'w2-secret';
const SHARED = 'shared-secret';

let m: TestManager;
let fake: FakeWorker;
beforeAll(async () => {
  fake = await startFakeWorker();
  m = await startTestManager({
    config: makeConfig({ auth: { workerTokens: { w1: W1, w2: W2 }, workerToken: SHARED, adminTokens: [ADMIN, 'second-admin'] } }),
  });
  for (const [id, token] of [['w1', W1], ['w2', W2], ['w3', SHARED]] as const) {
    const r = await call(m.url, 'POST', '/workers', { body: workerBody(id, fake.url), token });
    expect(r.status).toBe(200);
    await call(m.url, 'POST', `/workers/${id}/jobs/a`, { body: statusBody(id, 'a', 'success'), token });
  }
});
afterAll(async () => {
  await m.close();
  await fake.close();
});

type Who = 'none' | 'wrong' | 'w1' | 'w2' | 'shared' | 'admin';
const tokenOf: Record<Who, string | undefined> = { none: undefined, wrong: 'nope', w1: W1, w2: W2, shared: SHARED, admin: ADMIN };

interface Route {
  name: string;
  method: string;
  path: string;
  body?: () => unknown;
  allowed: Who[];
}

const routes: Route[] = [
  { name: 'ping', method: 'GET', path: '/ping', allowed: ['none', 'wrong', 'w1', 'w2', 'shared', 'admin'] },
  { name: 'jobs', method: 'GET', path: '/jobs', allowed: ['none', 'wrong', 'w1', 'w2', 'shared', 'admin'] },
  { name: 'workers', method: 'GET', path: '/workers', allowed: ['none', 'wrong', 'w1', 'w2', 'shared', 'admin'] },
  { name: 'register w1', method: 'POST', path: '/workers', body: () => workerBody('w1', fake.url), allowed: ['w1', 'admin'] },
  { name: 'register w3 (no own token)', method: 'POST', path: '/workers', body: () => workerBody('w3', fake.url), allowed: ['shared', 'admin'] },
  { name: 'report w1', method: 'POST', path: '/workers/w1/jobs/a', body: () => statusBody('w1', 'a', 'syncing'), allowed: ['w1', 'admin'] },
  { name: 'report w3', method: 'POST', path: '/workers/w3/jobs/a', body: () => statusBody('w3', 'a', 'syncing'), allowed: ['shared', 'admin'] },
  {
    name: 'schedules w1',
    method: 'POST',
    path: '/workers/w1/schedules',
    body: () => ({ schedules: [{ name: 'a', next_schedule: '2026-12-01T00:00:00Z' }] }),
    allowed: ['w1', 'admin'],
  },
  { name: 'set-size', method: 'POST', path: '/workers/w1/jobs/a/size', body: () => ({ name: 'a', size: '3G' }), allowed: ['admin'] },
  { name: 'cmd', method: 'POST', path: '/cmd', body: () => ({ cmd: 'ping', worker_id: 'w1' }), allowed: ['admin'] },
  { name: 'flush', method: 'DELETE', path: '/jobs/disabled', allowed: ['admin'] },
];

const everyone: Who[] = ['none', 'wrong', 'w1', 'w2', 'shared', 'admin'];
const matrix = routes.flatMap((r) => everyone.map((who) => [r.name, who, r] as const));

describe('auth matrix', () => {
  it.each(matrix)('%s as %s', async (_name, who, route) => {
    const token = tokenOf[who];
    const before = JSON.stringify(await m.store.listAllMirrorStatus());
    const r = await call(m.url, route.method, route.path, { ...(route.body ? { body: route.body() } : {}), ...(token ? { token } : {}) });
    if (route.allowed.includes(who)) {
      expect(r.status).toBe(200);
    } else {
      const expected = who === 'none' || who === 'wrong' ? 401 : 403;
      expect(r.status).toBe(expected);
      expect(typeof r.body.error).toBe('string');
      if (route.method !== 'GET') expect(JSON.stringify(await m.store.listAllMirrorStatus())).toBe(before);
    }
  });

  it('a worker may not report for another worker, even with a valid body', async () => {
    const r = await call(m.url, 'POST', '/workers/w2/jobs/a', { body: statusBody('w2', 'a', 'failed'), token: W1 });
    expect(r.status).toBe(403);
    expect(r.body.error).toBe('token may not act for worker w2');
    expect((await m.store.getMirrorStatus('w2', 'a'))?.status).not.toBe('failed');
  });

  it('only DELETE /workers with an admin token', async () => {
    await call(m.url, 'POST', '/workers', { body: workerBody('tmp', fake.url), token: SHARED });
    expect((await call(m.url, 'DELETE', '/workers/tmp', { token: SHARED })).status).toBe(403);
    expect((await call(m.url, 'DELETE', '/workers/tmp')).status).toBe(401);
    expect(await m.store.getWorker('tmp')).toBeDefined();
    expect((await call(m.url, 'DELETE', '/workers/tmp', { token: 'second-admin' })).status).toBe(200);
    expect(await m.store.getWorker('tmp')).toBeUndefined();
  });

  it('a worker may delete its own jobs only; an admin any', async () => {
    for (const [id, token] of [['w1', W1], ['w2', W2]] as const) {
      await call(m.url, 'POST', `/workers/${id}/jobs/gone`, { body: statusBody(id, 'gone', 'success'), token });
    }
    expect((await call(m.url, 'DELETE', '/workers/w2/jobs/gone', { token: W1 })).status).toBe(403);
    expect((await call(m.url, 'DELETE', '/workers/w2/jobs/gone')).status).toBe(401);
    expect(await m.store.getMirrorStatus('w2', 'gone')).toBeDefined();
    expect((await call(m.url, 'DELETE', '/workers/w1/jobs/gone', { token: W1 })).status).toBe(200);
    expect((await call(m.url, 'DELETE', '/workers/w2/jobs/gone', { token: ADMIN })).status).toBe(200);
    expect(await m.store.getMirrorStatus('w1', 'gone')).toBeUndefined();
    expect(await m.store.getMirrorStatus('w2', 'gone')).toBeUndefined();
  });

  it('other schemes and malformed headers are 401', async () => {
    for (const authorization of [`Basic ${ADMIN}`, 'Bearer', `Bearer ${ADMIN} extra`, ADMIN]) {
      const r = await call(m.url, 'DELETE', '/jobs/disabled', { headers: { authorization } });
      expect(r.status).toBe(401);
    }
  });

  it('GET /workers never returns a token', async () => {
    const r = await call(m.url, 'GET', '/workers', { token: ADMIN });
    expect(r.body.length).toBeGreaterThan(0);
    for (const w of r.body) expect(w.token).toBe('REDACTED');
    expect(r.text).not.toMatch(/secret/);
  });

  it('tokens are never logged', () => {
    const logs = m.lines.join('');
    expect(logs).toMatch(/refused/);
    for (const t of [ADMIN, W1, W2, SHARED, 'second-admin']) expect(logs).not.toContain(t);
  });
});

describe('public_read = false', () => {
  it('reads need any valid token', async () => {
    const p = await startTestManager({ config: makeConfig({ auth: { adminTokens: [ADMIN], workerToken: SHARED, publicRead: false } }) });
    try {
      for (const path of ['/ping', '/jobs', '/workers']) {
        expect((await call(p.url, 'GET', path)).status).toBe(401);
        expect((await call(p.url, 'GET', path, { token: 'wrong' })).status).toBe(401);
        expect((await call(p.url, 'GET', path, { token: SHARED })).status).toBe(200);
        expect((await call(p.url, 'GET', path, { token: ADMIN })).status).toBe(200);
      }
    } finally {
      await p.close();
    }
  });
});

describe('no tokens configured', () => {
  it('the API is open, as tunasync’s', async () => {
    const open = await startTestManager({ config: makeConfig({ auth: { publicRead: false } }) });
    try {
      expect((await call(open.url, 'POST', '/workers', { body: workerBody('x') })).status).toBe(200);
      expect((await call(open.url, 'DELETE', '/jobs/disabled')).status).toBe(200);
      expect((await call(open.url, 'GET', '/workers')).status).toBe(200);
      expect((await call(open.url, 'DELETE', '/workers/x', { token: 'anything' })).status).toBe(200);
    } finally {
      await open.close();
    }
  });
});

describe('Authenticator', () => {
  it('compares tokens by value, whatever their length', () => {
    expect(tokensEqual('abc', 'abc')).toBe(true);
    expect(tokensEqual('abc', 'abd')).toBe(false);
    expect(tokensEqual('abc', 'abcd')).toBe(false);
    expect(tokensEqual('', 'x')).toBe(false);
  });

  it('identifies admins, workers and strangers', () => {
    const a = new Authenticator({ workerToken: 'S', workerTokens: { w1: 'A', w9: 'A' }, adminTokens: ['Z'], publicRead: true });
    expect(a.enabled).toBe(true);
    expect(a.identify('Z').kind).toBe('admin');
    const w = a.identify('A');
    expect(w.kind === 'worker' && [...w.ids].sort()).toEqual(['w1', 'w9']);
    expect(a.identify('S')).toEqual({ kind: 'worker', ids: new Set(), shared: true });
    expect(a.identify('x').kind).toBe('anonymous');
    expect(a.identify(undefined).kind).toBe('anonymous');
    expect(a.workerToken('w1')).toBe('A');
    expect(a.workerToken('other')).toBe('S');
    expect(new Authenticator({ workerToken: '', workerTokens: {}, adminTokens: [], publicRead: true }).enabled).toBe(false);
  });
});
