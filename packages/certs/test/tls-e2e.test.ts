/**
 * TLS end to end, with certificates made by this package only: a real
 * manager over HTTPS, a real worker whose control server is HTTPS, worker →
 * manager trusting `[manager] ca_cert`, manager → worker trusting
 * `[files] ca_cert`; a command posted to /cmd runs a job. Certificates from
 * another CA are refused by each client, and a manager with
 * `[server] client_ca` takes a worker presenting `[manager] client_cert`
 * and refuses one without.
 *
 * `tunasynctl --ca-cert` (the built bin) lists and starts jobs through the
 * HTTPS manager and refuses a certificate from another CA.
 *
 * Adding a step to the HTTPS system: add an `it` to the first describe. `sys.manager.url` is the manager's https URL,
 * `sys.pki` holds every PEM file (caCert, managerCert, workerCert/Key,
 * otherCaCert, impostorCert/Key), `sys.worker` is the registered worker
 * (`worker1`, job `tls-job`) and `sys.runs()` counts the job's finished runs.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Got } from 'got';
import { createHttpClient, createSilentLogger } from '@tunasync/core';
import type { RunningManager } from '@tunasync/manager';
import type { Worker } from '@tunasync/worker';
import { runScript, type RunResult } from '@tunasync/testkit';
import { tempDir } from './helpers.js';
import { captureLogger, createTlsWorker, makePki, startHttpsManager, trueMirror, until, type Pki } from './tls-system.js';

const ctlBin = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'ctl', 'dist', 'cli.js');

interface System {
  dir: string;
  pki: Pki;
  manager: RunningManager;
  worker: Worker;
  /** Finished runs of the worker's job `tls-job`. */
  runs: () => number;
  /** An HTTPS client trusting our CA. */
  client: Got;
}

let sys: System;
let cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  const t = tempDir('tunasync-tls-e2e-');
  cleanups.push(t.cleanup);
  const pki = await makePki(t.dir);
  const manager = await startHttpsManager(t.dir, 'manager', { cert: pki.managerCert, key: pki.managerKey, caCert: pki.caCert });
  cleanups.push(() => manager.close());
  const worker = await createTlsWorker(
    t.dir,
    'worker1',
    { apiBase: manager.url, caCert: pki.caCert, cert: pki.workerCert, key: pki.workerKey },
    trueMirror('tls-job'),
    createSilentLogger(),
  );
  let runs = 0;
  worker.jobs.get('tls-job')!.on('run-end', () => runs++);
  cleanups.push(() => worker.halt());
  await worker.start();
  sys = { dir: t.dir, pki, manager, worker, runs: () => runs, client: createHttpClient({ caFile: pki.caCert, retries: 0 }) };
}, 60_000);

afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

/** GET `path` from a manager as JSON. */
async function get<T>(client: Got, base: string, path: string): Promise<T> {
  return (await client.get(`${base}${path}`)).body as T;
}

/** POSTs a command to a manager's /cmd; resolves with the answer whatever its status. */
async function postCmd(client: Got, base: string, cmd: Record<string, unknown>): Promise<{ status: number; body: Record<string, string> }> {
  const r = await client.post(`${base}/cmd`, { json: { args: [], options: {}, ...cmd }, throwHttpErrors: false });
  return { status: r.statusCode, body: r.body as unknown as Record<string, string> };
}

describe('manager and worker over HTTPS with tunasync-certs certificates', () => {
  it('the manager serves HTTPS that clients trusting the CA verify', async () => {
    expect(sys.manager.protocol).toBe('https');
    expect(sys.manager.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(await get(sys.client, sys.manager.url, '/ping')).toEqual({ message: 'pong' });
  });

  it('the worker registers through ca_cert and an https api_base, with its HTTPS control server', async () => {
    expect(sys.worker.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/$/);
    const workers = await until(async () => {
      const list = await get<{ id: string; url: string }[]>(sys.client, sys.manager.url, '/workers');
      return list.some((w) => w.id === 'worker1') ? list : undefined;
    }, 'worker1 is registered');
    expect(workers).toEqual([expect.objectContaining({ id: 'worker1', url: sys.worker.url })]);
  });

  it('a command posted to /cmd reaches the worker over HTTPS and the job runs', async () => {
    // The job's first run (due at start) is reported over HTTPS.
    await until(() => (sys.runs() >= 1 ? true : undefined), 'the first run ended');
    expect(await sys.worker.flushReports()).toBe(true);
    type Job = { name: string; status: string; last_update: string };
    const [first] = await get<Job[]>(sys.client, sys.manager.url, '/workers/worker1/jobs');
    expect(first).toMatchObject({ name: 'tls-job', status: 'success' });
    const before = sys.runs();

    const answer = await postCmd(sys.client, sys.manager.url, { cmd: 'start', mirror_id: 'tls-job', worker_id: 'worker1' });
    expect(answer).toEqual({ status: 200, body: { message: 'successfully send command to worker worker1' } });
    await until(() => (sys.runs() > before ? true : undefined), 'the commanded run ended');
    expect(await sys.worker.flushReports()).toBe(true);
    const [after] = await get<Job[]>(sys.client, sys.manager.url, '/workers/worker1/jobs');
    expect(after).toMatchObject({ name: 'tls-job', status: 'success' });
    expect(new Date(after!.last_update).getTime()).toBeGreaterThan(new Date(first!.last_update).getTime());
  });
});

/** Runs the built `tunasynctl` with an empty HOME and no system ctl.conf; never rejects on a non-zero exit. */
function tunasynctl(args: string[]): Promise<RunResult> {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: sys.dir, TUNASYNCTL_SYSTEM_CONF: join(sys.dir, 'no-ctl.conf') };
  return runScript(ctlBin, args, { env, timeoutMs: 20_000 });
}

describe('tunasynctl --ca-cert against the HTTPS manager', () => {
  const at = (): string[] => ['-m', '127.0.0.1', '-p', new URL(sys.manager.url).port];

  it('lists the jobs and starts one through the manager, over HTTPS', async () => {
    const list = await tunasynctl(['list', '--all', ...at(), '--ca-cert', sys.pki.caCert]);
    expect(list.stderr).toBe('');
    expect(list.code).toBe(0);
    expect((JSON.parse(list.stdout) as { name: string }[]).map((j) => j.name)).toEqual(['tls-job']);
    const before = sys.runs();
    const start = await tunasynctl(['start', '-w', 'worker1', 'tls-job', ...at(), '--ca-cert', sys.pki.caCert]);
    expect(start.code).toBe(0);
    expect(start.stdout.trim()).toBe('Successfully send the command');
    await until(() => (sys.runs() > before ? true : undefined), 'the run started by tunasynctl ended');
  });

  it('refuses a manager certificate that the given CA did not sign, and plain http against https', async () => {
    const other = await tunasynctl(['list', '--all', ...at(), '--ca-cert', sys.pki.otherCaCert]);
    expect(other.code).toBe(1);
    expect(other.stdout).toBe('');
    expect(other.stderr.trim().split('\n')).toHaveLength(1);
    expect(other.stderr).toMatch(/^tunasynctl: TLS with the manager at https:\/\/127\.0\.0\.1:\d+ failed: /);
    const plain = await tunasynctl(['list', '--all', ...at()]);
    expect(plain.code).toBe(1);
    expect(plain.stderr).toMatch(/^tunasynctl: .*127\.0\.0\.1:\d+/);
  });
});

describe('a certificate from another CA is refused', () => {
  it('by the worker: it never registers with a manager whose certificate our CA did not sign', async () => {
    const impostor = await startHttpsManager(sys.dir, 'impostor-manager', { cert: sys.pki.impostorCert, key: sys.pki.impostorKey, caCert: sys.pki.caCert });
    cleanups.push(() => impostor.close());
    const log = captureLogger();
    const wary = await createTlsWorker(
      sys.dir,
      'wary',
      { apiBase: impostor.url, caCert: sys.pki.caCert, cert: sys.pki.workerCert, key: sys.pki.workerKey },
      '',
      log.logger,
      200,
    );
    cleanups.push(() => wary.halt());
    await wary.start();
    const line = await until(
      () => log.text().split('\n').find((l) => l.includes(`manager ${impostor.url} unreachable (`)),
      'the worker reports the refusal',
    );
    expect(line).toMatch(/unreachable \(.*certificate.*\); retrying/);
    const impostorClient = createHttpClient({ caFile: sys.pki.otherCaCert, retries: 0 });
    expect(await get(impostorClient, impostor.url, '/workers')).toEqual([]);
    // Our own client refuses it too.
    await expect(sys.client.get(`${impostor.url}/ping`)).rejects.toThrow(/certificate/);
  });

  it('by the manager: a command to a worker whose certificate our CA did not sign fails with a clear error', async () => {
    const impostor = await createTlsWorker(
      sys.dir,
      'impostor-worker',
      { apiBase: sys.manager.url, caCert: sys.pki.caCert, cert: sys.pki.impostorCert, key: sys.pki.impostorKey },
      trueMirror('fake-job'),
      createSilentLogger(),
    );
    let runs = 0;
    impostor.jobs.get('fake-job')!.on('run-end', () => runs++);
    cleanups.push(() => impostor.halt());
    await impostor.start();
    await until(
      async () => ((await get<{ id: string }[]>(sys.client, sys.manager.url, '/workers')).some((w) => w.id === 'impostor-worker') ? true : undefined),
      'the impostor worker is registered',
    );
    await until(() => (runs >= 1 ? true : undefined), 'its first run ended');
    const answer = await postCmd(sys.client, sys.manager.url, { cmd: 'start', mirror_id: 'fake-job', worker_id: 'impostor-worker' });
    expect(answer.status).toBe(500);
    expect(answer.body.error).toMatch(/^post command to worker impostor-worker\(https:\/\/127\.0\.0\.1:\d+\/\) fail: .*certificate/);
    expect(runs).toBe(1);
  });
});

describe('mTLS: a manager with [server] client_ca', () => {
  it('accepts a worker presenting [manager] client_cert/client_key and refuses one without', async () => {
    const { pki, dir } = sys;
    const mtls = await startHttpsManager(dir, 'mtls-manager', { cert: pki.managerCert, key: pki.managerKey, caCert: pki.caCert, clientCa: pki.caCert });
    cleanups.push(() => mtls.close());
    const withCert = createHttpClient({ caFile: pki.caCert, clientCertFile: pki.workerCert, clientKeyFile: pki.workerKey, retries: 0 });
    await expect(sys.client.get(`${mtls.url}/ping`)).rejects.toThrow();
    expect(await get(withCert, mtls.url, '/ping')).toEqual({ message: 'pong' });

    const tls = { apiBase: mtls.url, caCert: pki.caCert, cert: pki.workerCert, key: pki.workerKey };
    const trusted = await createTlsWorker(dir, 'trusted', { ...tls, clientCert: pki.workerCert, clientKey: pki.workerKey }, trueMirror('mtls-job'), createSilentLogger());
    cleanups.push(() => trusted.halt());
    const log = captureLogger();
    const anonymous = await createTlsWorker(dir, 'anonymous', tls, '', log.logger, 200);
    cleanups.push(() => anonymous.halt());
    const ended = new Promise<void>((resolve) => trusted.jobs.get('mtls-job')!.once('run-end', () => resolve()));
    await Promise.all([trusted.start(), anonymous.start()]);
    await ended;
    expect(await trusted.flushReports()).toBe(true);
    expect(await get(withCert, mtls.url, '/workers/trusted/jobs')).toEqual([expect.objectContaining({ name: 'mtls-job', status: 'success' })]);

    await until(
      () => log.text().split('\n').find((l) => l.includes(`manager ${mtls.url} unreachable (`)),
      'the anonymous worker reports the refusal',
    );
    const ids = (await get<{ id: string }[]>(withCert, mtls.url, '/workers')).map((w) => w.id);
    expect(ids).toEqual(['trusted']);
  });
});
