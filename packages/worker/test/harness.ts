/**
 * A real manager (SQLite file, in-process, 127.0.0.1) and real workers for
 * the worker's end-to-end tests, plus polling helpers. Every start registers
 * its cleanup with the caller's list.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { createSilentLogger, parseWorkerConfig, type ManagerConfig, type WorkerConfig } from '@tunasync/core';
import { SqliteJobStore, createManagerApp } from '@tunasync/manager';
import { createWorker, type Worker, type WorkerOptions } from '@tunasync/worker';

/** An open manager config. */
export const managerConfig: ManagerConfig = {
  debug: false,
  server: { addr: '127.0.0.1', port: 0, sslCert: '', sslKey: '', clientCa: '' },
  files: { dbType: 'sqlite', dbFile: '', caCert: '' },
  auth: { workerToken: '', workerTokens: {}, adminTokens: [], publicRead: true },
};

/** A manager listening on 127.0.0.1. */
export interface RunningManager {
  base: string;
  port: number;
  close(): Promise<void>;
}

/** Starts a manager on `dbFile` (a fresh port unless `port`); `store` may be a recording subclass. */
export async function startManager(dbFile: string, port = 0, store: SqliteJobStore = new SqliteJobStore(dbFile)): Promise<RunningManager> {
  await store.init();
  const app = createManagerApp({ config: managerConfig, store, logger: createSilentLogger() });
  const server: Server = createServer(app);
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  const p = (server.address() as AddressInfo).port;
  return {
    base: `http://127.0.0.1:${p}`,
    port: p,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await store.close();
    },
  };
}

/** fetch + json. */
export async function getJson(url: string, init?: RequestInit): Promise<unknown> {
  const r = await fetch(url, init);
  return r.json();
}

/** Polls `fn` until it returns something other than undefined. */
export async function until<T>(fn: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('condition never held');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Writes `<dir>/worker.conf` for worker w1 reporting to `base` and parses it. */
export function workerConf(dir: string, base: string, mirrors: string): WorkerConfig {
  const text = `[global]\nname = "w1"\nlog_dir = "${dir}/log/{{.Name}}"\nmirror_dir = "${dir}/data"\nconcurrent = 2\ninterval = 60\n[manager]\napi_base = "${base}"\n[server]\nhostname = "127.0.0.1"\nlisten_addr = "127.0.0.1"\nlisten_port = 0\n${mirrors}`;
  const file = join(dir, 'worker.conf');
  writeFileSync(file, text);
  return parseWorkerConfig(text, file).config;
}

/** Cleanups run by the caller's afterEach, newest first. */
export type Cleanups = (() => Promise<void> | void)[];

/** Creates (does not start) a worker for workerConf(...); halted by `cleanups`. */
export async function makeWorker(cleanups: Cleanups, dir: string, base: string, mirrors: string, extra: Partial<WorkerOptions> = {}): Promise<Worker> {
  const w = await createWorker({ config: workerConf(dir, base, mirrors), logger: createSilentLogger(), graceMs: 300, maxBackoffMs: 200, registerWaitMs: 3000, ...extra });
  cleanups.push(() => w.halt());
  return w;
}

