import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { ValidationError } from '@tunasync/core';
import { ManagerRequestError, NO_HISTORY_MESSAGE, createManagerClient, type ManagerClient } from '@tunasync/ctl';
import { makeTlsFiles, registerWorker, reportJob, startTestManager, tempDir, type TestManager, type TlsFiles } from './helpers.js';
import { freePort as closedPort } from '@tunasync/testkit';

const t = tempDir();
let tls: TlsFiles;
let open: TestManager;
let secured: TestManager;

beforeAll(async () => {
  tls = await makeTlsFiles(t.dir);
  open = await startTestManager(t.dir);
  secured = await startTestManager(t.dir, { auth: { adminTokens: ['admin-secret'], workerToken: 'worker-secret', publicRead: false } });
});
afterAll(async () => {
  await open.close();
  await secured.close();
  t.cleanup();
});

/** The error `p` rejects with. */
async function failure(p: Promise<unknown>): Promise<ManagerRequestError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ManagerRequestError);
  return err as ManagerRequestError;
}

describe('createManagerClient over HTTP', () => {
  let client: ManagerClient;
  beforeAll(async () => {
    client = createManagerClient({ baseUrl: `${open.url}/` });
    await registerWorker(open, 'w1');
    await reportJob(open, 'w1', 'debian', 'success', { size: '1.2T', next_schedule: '2030-01-01T00:00:00Z' });
    await reportJob(open, 'w1', 'old', 'disabled');
  });

  it('reads jobs, a worker\'s jobs and workers as typed values', async () => {
    expect(client.baseUrl).toBe(open.url);
    await client.ping();
    const all = await client.listJobs();
    expect(all.map((j) => [j.name, j.status])).toEqual([['debian', 'success'], ['old', 'disabled']]);
    expect(all[0]!.nextSchedule).toEqual(new Date('2030-01-01T00:00:00Z'));
    expect(all[0]!.lastUpdate).toBeInstanceOf(Date);
    const mine = await client.listWorkerJobs('w1');
    expect(mine[0]).toMatchObject({ name: 'debian', worker: 'w1', size: '1.2T', upstream: 'rsync://upstream.example/debian/' });
    const workers = await client.listWorkers();
    expect(workers.map((w) => [w.id, w.url, w.token])).toEqual([['w1', 'http://127.0.0.1:1/', 'REDACTED']]);
  });

  it('sets sizes, flushes disabled jobs and sends commands', async () => {
    const stored = await client.setSize('w1', 'debian', '1.3T');
    expect(stored).toMatchObject({ name: 'debian', size: '1.3T' });
    await client.flushDisabled();
    expect((await client.listWorkerJobs('w1')).map((j) => j.name)).toEqual(['debian']);
    // The worker's URL answers nothing: the manager says so, and the client passes its message on.
    const err = await failure(client.sendCommand({ cmd: 'ping', workerId: 'w1', mirrorId: 'debian' }));
    expect(err.kind).toBe('rejected');
    expect(err.status).toBe(500);
    expect(err.message).toMatch(/^post command to worker w1\(http:\/\/127\.0\.0\.1:1\/\) fail: /);
  });

  it('passes the manager\'s 4xx message on, typed', async () => {
    const unknown = await failure(client.listWorkerJobs('nope'));
    expect(unknown).toMatchObject({ kind: 'rejected', status: 400, code: 'BAD_REQUEST', message: 'invalid workerID nope' });
    const missing = await failure(client.setSize('w1', 'ghost', '1G'));
    expect(missing).toMatchObject({ status: 404, code: 'NOT_FOUND', message: 'job ghost of worker w1 not found' });
    const notRegistered = await failure(client.sendCommand({ cmd: 'start', workerId: 'ghost', mirrorId: 'x' }));
    expect(notRegistered.message).toBe('worker ghost is not registered yet');
  });

  it('history from our manager: the reported run is a row, an unknown mirror is the manager\'s 404, not "no history"', async () => {
    expect((await client.history('debian', { limit: 5 })).map((r) => [r.worker, r.mirror, r.result])).toEqual([['w1', 'debian', 'success']]);
    const err = await failure(client.history('nope', { limit: 5 }));
    expect(err).toMatchObject({ kind: 'rejected', status: 404, managerCode: 'unknown_mirror' });
    expect(err.message).not.toBe(NO_HISTORY_MESSAGE);
  });

  it('removes a worker, and says so when the worker is unknown', async () => {
    await registerWorker(open, 'gone');
    await client.deleteWorker('gone');
    expect((await client.listWorkers()).map((w) => w.id)).toEqual(['w1']);
    expect((await failure(client.deleteWorker('gone'))).message).toBe('invalid workerID gone');
  });

  it('names the address when nothing answers', async () => {
    const port = await closedPort();
    const err = await failure(createManagerClient({ baseUrl: `http://127.0.0.1:${port}` }).listJobs());
    expect(err.kind).toBe('unreachable');
    expect(err.message).toBe(`cannot reach the manager at http://127.0.0.1:${port}: connection refused`);
    expect(err.url).toBe(`http://127.0.0.1:${port}/jobs`);
  });

  it('traces requests and answers when asked', async () => {
    const lines: string[] = [];
    await createManagerClient({ baseUrl: open.url, trace: (l) => lines.push(l) }).ping();
    expect(lines).toEqual([`GET ${open.url}/ping`, `GET ${open.url}/ping -> 200 {"message":"pong"}`]);
  });
});

describe('createManagerClient with tokens', () => {
  it('says "token missing or wrong" on a 401, with or without a token', async () => {
    const none = await failure(createManagerClient({ baseUrl: secured.url }).listJobs());
    expect(none).toMatchObject({ kind: 'unauthorized', status: 401, code: 'UNAUTHORIZED' });
    expect(none.message).toBe('token missing or wrong: no token was given (--token, TUNASYNC_TOKEN or token in ctl.conf) (manager: missing bearer token)');
    const wrong = await failure(createManagerClient({ baseUrl: secured.url, token: 'guess' }).listWorkers());
    expect(wrong.message).toBe('token missing or wrong: the manager does not know this token (manager: invalid token)');
  });

  it('reads with any valid token and needs an admin token to change things', async () => {
    const asWorker = createManagerClient({ baseUrl: secured.url, token: 'worker-secret' });
    expect(await asWorker.listJobs()).toEqual([]);
    const refused = await failure(asWorker.flushDisabled());
    expect(refused).toMatchObject({ kind: 'rejected', status: 403, code: 'FORBIDDEN', message: 'an admin token is required' });
    await createManagerClient({ baseUrl: secured.url, token: 'admin-secret' }).flushDisabled();
  });
});

describe('createManagerClient over TLS', () => {
  it('trusts the CA it is given and explains a certificate it cannot trust', async () => {
    const m = await startTestManager(t.dir, { server: { sslCert: tls.serverCert, sslKey: tls.serverKey } });
    try {
      expect(m.url).toMatch(/^https:/);
      await createManagerClient({ baseUrl: m.url, caCert: tls.caCert }).ping();
      const untrusted = await failure(createManagerClient({ baseUrl: m.url, caCert: tls.otherCaCert }).ping());
      expect(untrusted.kind).toBe('tls');
      expect(untrusted.message).toMatch(new RegExp(`^TLS with the manager at ${m.url} failed: .*certificate.*is --ca-cert / ca_cert the CA that signed`));
      const plain = await failure(createManagerClient({ baseUrl: m.url.replace('https:', 'http:') }).ping());
      expect(plain.message).toBe(`cannot reach the manager at ${m.url.replace('https:', 'http:')}: connection reset (if the manager uses https, give --ca-cert)`);
      await createManagerClient({ baseUrl: m.url.replace('127.0.0.1', 'localhost'), caCert: tls.caCert }).ping();
    } finally {
      await m.close();
    }
  });

  it('explains a certificate issued for another host', async () => {
    const m = await startTestManager(t.dir, { server: { sslCert: tls.elsewhereCert, sslKey: tls.elsewhereKey } });
    try {
      const err = await failure(createManagerClient({ baseUrl: m.url, caCert: tls.caCert }).ping());
      expect(err.kind).toBe('tls');
      expect(err.message).toBe(
        `TLS with the manager at ${m.url} failed: Hostname/IP does not match certificate's altnames: IP: 127.0.0.1 is not in the cert's list ` +
          '(the certificate does not name this host: use -m with a name or IP it was issued for)',
      );
    } finally {
      await m.close();
    }
  });

  it('speaks https to an http manager only to say the handshake failed', async () => {
    const err = await failure(createManagerClient({ baseUrl: open.url.replace('http:', 'https:'), caCert: tls.caCert }).ping());
    expect(err.kind).toBe('tls');
    expect(err.message).toBe(`TLS with the manager at ${open.url.replace('http:', 'https:')} failed: wrong version number (does the manager speak https on this port?)`);
  });

  it('presents a client certificate to a manager that wants one', async () => {
    const m = await startTestManager(t.dir, { server: { sslCert: tls.serverCert, sslKey: tls.serverKey, clientCa: tls.caCert } });
    try {
      const without = await failure(createManagerClient({ baseUrl: m.url, caCert: tls.caCert }).ping());
      expect(without.kind).toBe('tls');
      expect(without.message).toMatch(/certificate required \(the manager wants a client certificate it trusts: --client-cert and --client-key\)$/);
      await createManagerClient({ baseUrl: m.url, caCert: tls.caCert, clientCert: tls.clientCert, clientKey: tls.clientKey }).ping();
    } finally {
      await m.close();
    }
  });

  it('names a PEM file it cannot read before connecting', () => {
    expect(() => createManagerClient({ baseUrl: 'https://127.0.0.1:1', caCert: join(t.dir, 'missing.crt') })).toThrow(ValidationError);
    expect(() => createManagerClient({ baseUrl: 'https://127.0.0.1:1', caCert: join(t.dir, 'missing.crt') })).toThrow(
      `cannot read the CA certificate ${join(t.dir, 'missing.crt')}: no such file`,
    );
  });
});
