/**
 * Test fixtures for tunasynctl: a real manager (startManager over a SQLite
 * file, HTTP or HTTPS, with or without tokens) on 127.0.0.1:0, the built
 * bin run with async execFile in a clean environment (a temporary HOME and
 * system ctl.conf, so nothing of the machine's own config is read), jobs
 * reported the way a worker reports them, and openssl-made certificates.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createSilentLogger, type Clock, type ManagerConfig } from '@tunasync/core';
import { startManager, type RunningManager } from '@tunasync/manager';

const run = promisify(execFile);

/** packages/ctl. */
export const PKG_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The built bin. */
export const CLI = join(PKG_DIR, 'dist', 'cli.js');

/** A temp dir removed by `cleanup`. */
export function tempDir(prefix = 'tunasync-ctl-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** What the bin did. */
export interface CtlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Where the bin looks for config, and anything else in its environment. */
export interface CtlEnv {
  /** HOME (holds `.config/tunasync/ctl.conf`). */
  home: string;
  /** The system-wide ctl.conf path (TUNASYNCTL_SYSTEM_CONF); need not exist. */
  systemConf: string;
  /** Extra variables (TUNASYNC_TOKEN, TZ, FORCE_COLOR, …). */
  vars?: Record<string, string>;
}

/** A fresh environment under `dir`: an empty HOME and a system ctl.conf path that does not exist (yet). */
export function cleanEnv(dir: string): CtlEnv {
  const base = mkdtempSync(join(dir, 'env-'));
  const home = join(base, 'home');
  mkdirSync(home);
  return { home, systemConf: join(base, 'etc-tunasync-ctl.conf') };
}

/** Runs `tunasynctl args…`; never rejects on a non-zero exit. */
export async function ctl(args: string[], env: CtlEnv): Promise<CtlResult> {
  const vars: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: env.home,
    TUNASYNCTL_SYSTEM_CONF: env.systemConf,
    TZ: 'UTC',
    ...env.vars,
  };
  try {
    const r = await run(process.execPath, [CLI, ...args], { env: vars, timeout: 20_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** Manager settings for a test: tunasync's defaults on 127.0.0.1:0. */
export function managerConfig(dbFile: string, parts: { auth?: Partial<ManagerConfig['auth']>; server?: Partial<ManagerConfig['server']> } = {}): ManagerConfig {
  return {
    debug: false,
    server: { addr: '127.0.0.1', port: 0, sslCert: '', sslKey: '', clientCa: '', ...parts.server },
    files: { dbType: 'sqlite', dbFile, caCert: '' },
    auth: { workerToken: '', workerTokens: {}, adminTokens: [], publicRead: true, ...parts.auth },
  };
}

/** A real manager in this process, with its own temp dir. */
export interface TestManager extends RunningManager {
  /** Sends a request as a worker or admin would; resolves with status and JSON body. */
  call(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** Starts a manager over a SQLite file in `dir`. */
export async function startTestManager(
  dir: string,
  parts: Parameters<typeof managerConfig>[1] & { clock?: Clock } = {},
): Promise<TestManager> {
  const m = await startManager(managerConfig(join(dir, `manager-${Math.random().toString(36).slice(2)}.db`), parts), {
    logger: createSilentLogger(),
    commandTimeoutMs: 3000,
    drainTimeoutMs: 500,
    ...(parts.clock ? { clock: parts.clock } : {}),
  });
  const plain = m.protocol === 'http';
  return Object.assign(m, {
    async call(method: string, path: string, body?: unknown, token?: string) {
      if (!plain) throw new Error('call() speaks plain HTTP only');
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (token) headers.authorization = `Bearer ${token}`;
      const res = await fetch(m.url + path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
      return { status: res.status, body: await res.json() };
    },
  });
}

const ZERO = '0001-01-01T00:00:00Z';

/** Registers worker `id` as a worker does. */
export async function registerWorker(m: TestManager, id: string, url = 'http://127.0.0.1:1/', token?: string): Promise<void> {
  const r = await m.call('POST', '/workers', { id, url, token: '', last_online: ZERO, last_register: ZERO }, token);
  if (r.status !== 200) throw new Error(`register ${id}: ${JSON.stringify(r.body)}`);
}

/** Reports a job's status as its worker does. */
export async function reportJob(
  m: TestManager,
  worker: string,
  name: string,
  status: string,
  extra: Record<string, unknown> = {},
  token?: string,
): Promise<void> {
  const body = {
    name, worker, is_master: true, status,
    last_update: ZERO, last_started: ZERO, last_ended: ZERO, next_schedule: ZERO,
    upstream: `rsync://upstream.example/${name}/`, size: 'unknown', error_msg: '',
    ...extra,
  };
  const r = await m.call('POST', `/workers/${worker}/jobs/${name}`, body, token);
  if (r.status !== 200) throw new Error(`report ${worker}/${name}: ${JSON.stringify(r.body)}`);
}

/** Writes a ctl.conf and returns its path. */
export function writeConf(file: string, text: string): string {
  writeFileSync(file, text);
  return file;
}

/** Polls `fn` until it returns something other than undefined. */
export async function until<T>(fn: () => Promise<T | undefined> | T | undefined, what = 'condition', timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** PEM files made with openssl (the referee for TLS here). */
export interface TlsFiles {
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A CA that signed nothing here. */
  otherCaCert: string;
  /** A server certificate (signed by the CA) for elsewhere.example only. */
  elsewhereCert: string;
  elsewhereKey: string;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** A CA, a server certificate for 127.0.0.1/localhost and a client certificate, in `dir`. */
export async function makeTlsFiles(dir: string): Promise<TlsFiles> {
  const openssl = (...args: string[]): Promise<unknown> => run('openssl', args, { cwd: dir });
  const ca = (name: string): Promise<unknown> =>
    openssl('req', '-x509', ...EC, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${name}`);
  const signed = async (name: string, ext: string): Promise<void> => {
    writeFileSync(join(dir, `${name}.ext`), ext);
    await openssl('req', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    await openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`);
  };
  await ca('ca');
  await ca('other-ca');
  await signed('server', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  await signed('client', 'extendedKeyUsage=clientAuth\n');
  await signed('elsewhere', 'subjectAltName=DNS:elsewhere.example\nextendedKeyUsage=serverAuth\n');
  const p = (f: string): string => join(dir, f);
  return {
    caCert: p('ca.crt'), serverCert: p('server.crt'), serverKey: p('server.key'),
    clientCert: p('client.crt'), clientKey: p('client.key'), otherCaCert: p('other-ca.crt'),
    elsewhereCert: p('elsewhere.crt'), elsewhereKey: p('elsewhere.key'),
  };
}

/** True when `text` shows a JavaScript stack trace. */
export function hasStack(text: string): boolean {
  return /^\s+at .+/m.test(text);
}
