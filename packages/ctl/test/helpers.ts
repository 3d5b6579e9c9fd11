/**
 * Test fixtures for tunasynctl: a real manager (startManager over a SQLite
 * file, HTTP or HTTPS, with or without tokens) on 127.0.0.1:0, the built
 * bin run with async execFile in a clean environment (a temporary HOME and
 * system ctl.conf, so nothing of the machine's own config is read), jobs
 * reported the way a worker reports them, and openssl-made certificates
 * (the manager, temp dirs, `until` and TLS files come from @tunasync/testkit).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  runScript,
  startTestManager as startKitManager,
  type RunResult,
  type TestManager as KitManager,
  type TestManagerOptions,
} from '@tunasync/testkit';

export { makeTlsFiles, tempDir, until, type TlsFiles } from '@tunasync/testkit';

/** packages/ctl. */
export const PKG_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The built bin. */
export const CLI = join(PKG_DIR, 'dist', 'cli.js');

/** What the bin did. */
export type CtlResult = RunResult;

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
export function ctl(args: string[], env: CtlEnv): Promise<CtlResult> {
  const vars: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: env.home,
    TUNASYNCTL_SYSTEM_CONF: env.systemConf,
    TZ: 'UTC',
    ...env.vars,
  };
  return runScript(CLI, args, { env: vars, timeoutMs: 20_000 });
}

/** A real manager in this process (testkit's), over a SQLite file in `dir`. */
export type TestManager = KitManager;

/** Starts a manager over a SQLite file in `dir`: HTTP, or HTTPS with `server.sslCert`/`sslKey`; tokens from `auth`. */
export function startTestManager(
  dir: string,
  parts: Pick<TestManagerOptions, 'auth' | 'server' | 'clock' | 'routes'> = {},
): Promise<TestManager> {
  return startKitManager({ dir, ...parts });
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

/** True when `text` shows a JavaScript stack trace. */
export function hasStack(text: string): boolean {
  return /^\s+at .+/m.test(text);
}
