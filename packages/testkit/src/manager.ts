/** A real manager for tests: `startManager` on 127.0.0.1 over a SQLite file in a temp dir. */
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { systemClock, type Clock, type JobStore, type Logger, type ManagerConfig } from '@tunasync/core';
import type { ManagerRouteModule, RunningManager } from '@tunasync/manager';
import { captureLogger } from './logger.js';
import { request, type Answer } from './net.js';
import { tempDir } from './temp.js';

/** How to start a test manager; everything is optional. */
export interface TestManagerOptions {
  /** Directory for the SQLite file (default: a temp dir that `close()` removes). */
  dir?: string;
  /** The SQLite file itself (to restart a manager on the same data); default `<dir>/manager-<random>.db`. */
  dbFile?: string;
  /** Port on 127.0.0.1 (default 0: any free port). */
  port?: number;
  /** A whole config (e.g. parsed from manager.conf text), used as is; `dbFile`, `port`, `auth`, `server` and `files` are then ignored. */
  config?: ManagerConfig;
  /** `[auth]` changes from tunasync's defaults (open, public read). */
  auth?: Partial<ManagerConfig['auth']>;
  /** `[server]` changes: `sslCert`/`sslKey`/`clientCa` for HTTPS and mTLS. */
  server?: Partial<ManagerConfig['server']>;
  /** `[files]` changes (e.g. `caCert` for HTTPS to workers). */
  files?: Partial<ManagerConfig['files']>;
  /** `[limits]` (workers, jobs per worker). */
  limits?: ManagerConfig['limits'];
  /** A store to use instead of opening the SQLite file (the manager closes it). */
  store?: JobStore;
  clock?: Clock;
  /** Default: a `captureLogger()` whose lines are the manager's `lines`. */
  logger?: Logger;
  /** Default 3000 ms. */
  commandTimeoutMs?: number;
  /** Default 500 ms. */
  drainTimeoutMs?: number;
  /** Route modules; one named like a built-in (e.g. `events`) replaces it (a no-op module removes a route). */
  routes?: ManagerRouteModule[];
}

/** A running test manager. */
export interface TestManager extends RunningManager {
  /** Same as `url`. */
  base: string;
  /** The directory holding the SQLite file. */
  dir: string;
  dbFile: string;
  config: ManagerConfig;
  clock: Clock;
  /** Lines the default capturing logger got (empty with a `logger` option). */
  lines: string[];
  /** Their text. */
  text(): string;
  /** Sends a request as a worker or admin would (plain HTTP only). */
  call(method: string, path: string, body?: unknown, token?: string): Promise<Answer>;
}

/** A manager config: tunasync's defaults on 127.0.0.1:0 over `dbFile`, with the given changes. */
export function testManagerConfig(
  dbFile: string,
  parts: Pick<TestManagerOptions, 'auth' | 'server' | 'files' | 'port' | 'limits'> = {},
): ManagerConfig {
  return {
    debug: false,
    server: { addr: '127.0.0.1', port: parts.port ?? 0, sslCert: '', sslKey: '', clientCa: '', ...parts.server },
    files: { dbType: 'sqlite', dbFile, caCert: '', ...parts.files },
    auth: { workerToken: '', workerTokens: {}, adminTokens: [], publicRead: true, ...parts.auth },
    ...(parts.limits ? { limits: parts.limits } : {}),
  };
}

/** Starts a real manager (`startManager`) for a test; `close()` stops it and removes a temp dir it made. */
export async function startTestManager(options: TestManagerOptions = {}): Promise<TestManager> {
  const own = options.config === undefined && options.dir === undefined && options.dbFile === undefined ? tempDir('tunasync-manager-') : undefined;
  const dbFile = options.config?.files.dbFile ?? options.dbFile ?? join(options.dir ?? own!.dir, `manager-${randomBytes(4).toString('hex')}.db`);
  const dir = dirname(dbFile);
  const capture = captureLogger();
  const config = options.config ?? testManagerConfig(dbFile, options);
  const clock = options.clock ?? systemClock;
  // Loaded on first use, so tests that never start a manager do not load it.
  const { startManager } = await import('@tunasync/manager');
  let m: RunningManager;
  try {
    m = await startManager(config, {
      logger: options.logger ?? capture.logger,
      clock,
      commandTimeoutMs: options.commandTimeoutMs ?? 3000,
      drainTimeoutMs: options.drainTimeoutMs ?? 500,
      ...(options.store ? { store: options.store } : {}),
      ...(options.routes ? { routes: options.routes } : {}),
    });
  } catch (err) {
    own?.cleanup();
    throw err;
  }
  const close = m.close;
  return Object.assign(m, {
    base: m.url,
    dir,
    dbFile,
    config,
    clock,
    lines: capture.lines,
    text: capture.text,
    call(method: string, path: string, body?: unknown, token?: string): Promise<Answer> {
      if (m.protocol !== 'http') throw new Error('call() speaks plain HTTP only');
      return request(m.url, method, path, { ...(body !== undefined ? { body } : {}), ...(token !== undefined ? { token } : {}) });
    },
    async close() {
      await close();
      own?.cleanup();
    },
  });
}
