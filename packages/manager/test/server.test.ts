/**
 * startManager: HTTP and HTTPS (certificates made with openssl), client
 * certificates, the configured CA for commands to HTTPS workers, restart on
 * the same db file, graceful close, and the open-API warning.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { ConfigError, createHttpClient, type ManagerConfig } from '@tunasync/core';
import { StoreOpenError, startManager } from '@tunasync/manager';
import { isLoopback } from '@tunasync/core';
import { call, captureLogger, makeConfig, startFakeWorker, statusBody, workerBody } from './helpers.js';
import { makeTlsFiles, type TlsFiles } from './tls-fixtures.js';

let dir: string;
let tls: TlsFiles;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tunasync-server-'));
  tls = await makeTlsFiles(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function config(parts: { server?: Partial<ManagerConfig['server']>; files?: Partial<ManagerConfig['files']>; auth?: Partial<ManagerConfig['auth']> } = {}): ManagerConfig {
  const base = makeConfig({ files: { dbFile: join(dir, `m${++n}.db`), ...parts.files }, ...(parts.auth ? { auth: parts.auth } : {}) });
  return { ...base, server: { ...base.server, ...parts.server } };
}

describe('startManager over HTTP', () => {
  it('listens on the bound port and keeps everything across a restart on the same db file', async () => {
    const cfg = config();
    const first = await startManager(cfg);
    expect(first.protocol).toBe('http');
    expect(first.address).toBe('127.0.0.1');
    expect(first.port).toBeGreaterThan(0);
    expect((await call(first.url, 'GET', '/ping')).body).toEqual({ message: 'pong' });
    await call(first.url, 'POST', '/workers', { body: workerBody('w', 'http://w:6000/') });
    await call(first.url, 'POST', '/workers/w/jobs/a', { body: statusBody('w', 'a', 'success', { size: '7G' }) });
    const jobsBefore = (await call(first.url, 'GET', '/workers/w/jobs')).body;
    await first.close();
    await first.close(); // idempotent
    await expect(fetch(`${first.url}/ping`)).rejects.toThrow();

    const second = await startManager(cfg);
    try {
      expect((await call(second.url, 'GET', '/workers')).body.map((w: { id: string }) => w.id)).toEqual(['w']);
      expect((await call(second.url, 'GET', '/workers/w/jobs')).body).toEqual(jobsBefore);
      expect(jobsBefore[0].size).toBe('7G');
    } finally {
      await second.close();
    }
  });

  it('close() lets an in-flight request finish, then refuses new ones', async () => {
    const fake = await startFakeWorker();
    const m = await startManager(config(), { commandTimeoutMs: 3000 });
    try {
      await call(m.url, 'POST', '/workers', { body: workerBody('w', fake.url) });
      fake.delayMs = 300;
      const inFlight = call(m.url, 'POST', '/cmd', { body: { cmd: 'ping', worker_id: 'w' } });
      while (fake.received.length === 0) await new Promise((r) => setTimeout(r, 5));
      const closed = m.close();
      const answer = await inFlight;
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ message: 'successfully send command to worker w' });
      await closed;
      await expect(fetch(`${m.url}/ping`)).rejects.toThrow();
      await expect(m.store.listWorkers()).rejects.toThrow(/closed/);
    } finally {
      await m.close();
      await fake.close();
    }
  });

  it('refuses db_type bolt, and a port already in use', async () => {
    await expect(startManager(config({ files: { dbType: 'bolt' } }))).rejects.toThrow(StoreOpenError);
    const m = await startManager(config());
    try {
      await expect(startManager(config({ server: { port: m.port } }))).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await m.close();
    }
  });

  it('warns when the API is open and listens beyond loopback', async () => {
    const open = captureLogger();
    const m1 = await startManager(config({ server: { addr: '0.0.0.0' } }), { logger: open.logger });
    await m1.close();
    expect(open.lines.join('')).toMatch(/\[warn\].*no \[auth\] tokens are configured and the manager listens on 0\.0\.0\.0/);

    const secured = captureLogger();
    const m2 = await startManager(config({ server: { addr: '0.0.0.0' }, auth: { adminTokens: ['a'] } }), { logger: secured.logger });
    await m2.close();
    const local = captureLogger();
    const m3 = await startManager(config(), { logger: local.logger });
    await m3.close();
    expect(secured.lines.join('')).not.toMatch(/\[warn\]/);
    expect(local.lines.join('')).not.toMatch(/\[warn\]/);
    expect(local.lines.join('')).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+/);
  });

  it('isLoopback', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', 'localhost'].map(isLoopback)).toEqual([true, true, true, true]);
    expect(['0.0.0.0', '::', '10.0.0.1', 'example.org'].map(isLoopback)).toEqual([false, false, false, false]);
  });
});

describe('startManager over HTTPS', () => {
  it('serves HTTPS with ssl_cert and ssl_key; clients verify it with the CA', async () => {
    const m = await startManager(config({ server: { sslCert: tls.serverCert, sslKey: tls.serverKey } }));
    try {
      expect(m.protocol).toBe('https');
      expect(m.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const good = createHttpClient({ caFile: tls.caCert, retries: 0 });
      expect((await good.get(`${m.url}/ping`)).body).toEqual({ message: 'pong' });
      const wrongCa = createHttpClient({ caFile: tls.otherCaCert, retries: 0 });
      await expect(wrongCa.get(`${m.url}/ping`)).rejects.toThrow(/certificate/);
    } finally {
      await m.close();
    }
  });

  it('requires a client certificate signed by client_ca when set', async () => {
    const m = await startManager(config({ server: { sslCert: tls.serverCert, sslKey: tls.serverKey, clientCa: tls.caCert } }));
    try {
      const anonymous = createHttpClient({ caFile: tls.caCert, retries: 0 });
      await expect(anonymous.get(`${m.url}/ping`)).rejects.toThrow();
      const withCert = createHttpClient({ caFile: tls.caCert, clientCertFile: tls.clientCert, clientKeyFile: tls.clientKey, retries: 0 });
      expect((await withCert.get(`${m.url}/ping`)).body).toEqual({ message: 'pong' });
    } finally {
      await m.close();
    }
  });

  it('refuses half a TLS setup and client_ca without TLS', async () => {
    await expect(startManager(config({ server: { sslCert: tls.serverCert } }))).rejects.toThrow(ConfigError);
    await expect(startManager(config({ server: { clientCa: tls.caCert } }))).rejects.toThrow(/client_ca/);
    await expect(startManager(config({ server: { sslCert: join(dir, 'missing.crt'), sslKey: tls.serverKey } }))).rejects.toThrow(/cannot read/);
  });

  it('forwards commands to an HTTPS worker trusting [files] ca_cert', async () => {
    const received: unknown[] = [];
    const app = express();
    app.use(express.json());
    app.post('/', (req, res) => {
      received.push(req.body);
      res.json({ msg: 'OK' });
    });
    const worker = https.createServer({ cert: readFileSync(tls.serverCert), key: readFileSync(tls.serverKey) }, app);
    await new Promise<void>((r) => worker.listen(0, '127.0.0.1', () => r()));
    const workerUrl = `https://127.0.0.1:${(worker.address() as AddressInfo).port}/`;
    const trusting = await startManager(config({ files: { caCert: tls.caCert } }));
    const untrusting = await startManager(config());
    try {
      for (const m of [trusting, untrusting]) await call(m.url, 'POST', '/workers', { body: workerBody('w', workerUrl) });
      const ok = await call(trusting.url, 'POST', '/cmd', { body: { cmd: 'reload', worker_id: 'w' } });
      expect(ok.status).toBe(200);
      expect(received).toEqual([{ cmd: 'reload', mirror_id: '', args: [], options: {} }]);
      const refused = await call(untrusting.url, 'POST', '/cmd', { body: { cmd: 'reload', worker_id: 'w' } });
      expect(refused.status).toBe(500);
      expect(refused.body.error).toMatch(/^post command to worker w\(https:.*\) fail: .*(certificate|self.signed)/i);
      expect(received).toHaveLength(1);
    } finally {
      await trusting.close();
      await untrusting.close();
      worker.closeAllConnections();
      await new Promise<void>((r) => worker.close(() => r()));
    }
  });
});
