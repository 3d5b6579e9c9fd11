/**
 * A real manager (SQLite file, in-process, 127.0.0.1) and real workers for
 * the worker's end-to-end tests, on @tunasync/testkit. Every worker made
 * registers its cleanup with the caller's list.
 */
import type { WorkerConfig } from '@tunasync/core';
import type { SqliteJobStore } from '@tunasync/manager';
import type { Worker, WorkerOptions } from '@tunasync/worker';
import { createTestWorker, startTestManager, writeWorkerConf, type TestManager, type TestWorkerConf } from '@tunasync/testkit';

export { getJson, until } from '@tunasync/testkit';

/** A manager listening on 127.0.0.1 (`base` is its URL). */
export type RunningManager = TestManager;

/** Starts a manager on `dbFile` (a fresh port unless `port`); `store` may be a recording subclass. */
export function startManager(dbFile: string, port = 0, store?: SqliteJobStore): Promise<RunningManager> {
  return startTestManager({ dbFile, port, ...(store ? { store } : {}) });
}

/** worker.conf for worker w1 under `dir` reporting to `base`: two concurrent jobs, interval 60. */
const conf = (dir: string, base: string, mirrors: string): TestWorkerConf => ({ dir, apiBase: base, mirrors, global: { concurrent: 2, interval: 60 } });

/** Writes `<dir>/worker.conf` for worker w1 reporting to `base` and parses it. */
export function workerConf(dir: string, base: string, mirrors: string): WorkerConfig {
  return writeWorkerConf(conf(dir, base, mirrors)).config;
}

/** Cleanups run by the caller's afterEach, newest first. */
export type Cleanups = (() => Promise<void> | void)[];

/** Creates (does not start) a worker for workerConf(...); halted by `cleanups`. */
export async function makeWorker(cleanups: Cleanups, dir: string, base: string, mirrors: string, extra: Partial<WorkerOptions> = {}): Promise<Worker> {
  const w = await createTestWorker({ ...conf(dir, base, mirrors), options: extra });
  cleanups.push(() => w.halt());
  return w;
}
