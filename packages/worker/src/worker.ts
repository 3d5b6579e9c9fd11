/**
 * The worker daemon: jobs (MirrorJob per mirror), the scheduler, the control
 * server and the reporter, wired together. `createWorker` builds it;
 * `start()` listens, registers and schedules; `halt()` stops everything.
 */
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import {
  ConfigError,
  createHttpClient,
  emptyMirrorStatus,
  errorMessage,
  loadWorkerConfig,
  parseMirrorStatus,
  systemClock,
  zeroTime,
  type Clock,
  type ControlAction,
  type Logger,
  type MirrorConfig,
  type WorkerCmd,
  type WorkerConfig,
} from '@tunasync/core';
import { createControlApp } from './control-server.js';
import { checkWorkerConfig } from './config-checks.js';
import { prepareHooks } from './hooks/hook-set.js';
import { MirrorJob } from './mirror-job.js';
import { createProvider } from './providers/registry.js';
import { Reporter } from './reporter.js';
import { Scheduler } from './scheduler.js';
import { ConcurrencySlots } from './slots.js';

/** What createWorker needs. */
export interface WorkerOptions {
  config: WorkerConfig;
  logger: Logger;
  clock?: Clock;
  /** Milliseconds between SIGTERM and SIGKILL for aborted runs (default 5000). */
  graceMs?: number;
  /** Longest wait between retries to a manager (default 30 s). */
  maxBackoffMs?: number;
  /** How long start() waits for the first manager before scheduling without its job list (default 5000 ms). */
  registerWaitMs?: number;
}

/** A running worker. */
export interface Worker {
  /** The jobs by mirror name. */
  readonly jobs: ReadonlyMap<string, MirrorJob>;
  /** The control server's URL as registered with the managers. */
  readonly url: string;
  /** Listens, registers with the managers, restores and schedules jobs. */
  start(): Promise<void>;
  /** Applies a command as the control server would. */
  command(cmd: WorkerCmd): Promise<void>;
  /** Re-reads the config file (or takes `next`) and applies the differences. */
  reload(next?: WorkerConfig): Promise<void>;
  /** Waits (bounded) until every queued report has reached the managers. */
  flushReports(timeoutMs?: number): Promise<boolean>;
  /** Stops scheduling, aborts running jobs, reports their end, closes the server. */
  halt(): Promise<void>;
}

/** Reads a `[server]` PEM file; a ConfigError naming the key when it cannot be read. */
function readPem(config: WorkerConfig, key: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? errorMessage(err);
    throw new ConfigError([{ file: config.file, path: `server.${key}`, message: `cannot read ${file} (${why})` }]);
  }
}

const comparable = (m: MirrorConfig): string => JSON.stringify({ ...m, source: undefined });

/** Builds a worker from a loaded config; nothing runs until `start()`. */
export async function createWorker(opts: WorkerOptions): Promise<Worker> {
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger;
  let config = opts.config;
  const slots = new ConcurrencySlots(config.global.concurrent);
  const jobs = new Map<string, MirrorJob>();
  let server: Server | undefined;
  let url = '';
  await checkWorkerConfig(config);
  const hookSet = await prepareHooks(config, logger);

  const http = createHttpClient({ caFile: config.manager.caCert || undefined, clientCertFile: config.manager.clientCert || undefined, clientKeyFile: config.manager.clientKey || undefined, token: config.manager.token, timeoutMs: 5000 });
  const reporter = new Reporter({
    apiBaseList: config.manager.apiBaseList,
    http,
    self: () => ({ id: config.global.name, url, token: '', lastOnline: clock.now(), lastRegister: clock.now() }),
    logger,
    ...(opts.maxBackoffMs ? { maxBackoffMs: opts.maxBackoffMs } : {}),
    ...(config.global.stateDir ? { stateDir: config.global.stateDir } : {}),
  });
  if (!config.global.stateDir) logger.warn('no state directory (no log_dir, no state_dir): reports are kept in memory only');
  const scheduler = new Scheduler({
    clock,
    onDue: (name) => void jobs.get(name)?.control('start'),
    onChange: (s) => reporter.reportSchedules(s),
  });

  function scheduleNext(job: MirrorJob, from: Date): void {
    if (job.mirror.cron) scheduler.cron(job.name, job.mirror.cron);
    else scheduler.at(job.name, new Date(from.getTime() + job.mirror.interval * 60_000));
  }

  async function makeJob(m: MirrorConfig): Promise<MirrorJob> {
    const job = new MirrorJob({
      mirror: m,
      provider: await createProvider(m),
      hooks: hookSet.hooksFor(m),
      slots,
      logger,
      clock,
      ...(opts.graceMs !== undefined ? { graceMs: opts.graceMs } : {}),
    });
    job.on('status', (e) => {
      if (e.final && job.state === 'ready' && !m.cron) scheduleNext(job, clock.now());
      const status = {
        ...emptyMirrorStatus(m.name, config.global.name),
        isMaster: m.isMaster,
        status: e.status,
        upstream: m.upstream,
        size: e.size ?? 'unknown',
        errorMsg: e.errorMsg,
        nextSchedule: scheduler.next(m.name) ?? zeroTime(),
      };
      reporter.reportStatus(status);
    });
    return job;
  }

  try {
    for (const m of config.mirrors) jobs.set(m.name, await makeJob(m));
  } catch (err) {
    // Undo what prepareHooks set up (cgroups) before refusing to start.
    await hookSet.close();
    throw err;
  }

  async function command(cmd: WorkerCmd): Promise<void> {
    const job = jobs.get(cmd.mirrorId);
    if (!job) throw new Error(`Mirror ${cmd.mirrorId} not found`);
    if (cmd.cmd === 'reload') return reload();
    // A manual command replaces the pending scheduled run (cron schedules stay).
    if (!job.mirror.cron) scheduler.cancel(job.name);
    const action: ControlAction = cmd.cmd === 'start' && cmd.options.force ? 'force-start' : (cmd.cmd as ControlAction);
    await job.control(action);
    if (cmd.cmd === 'disable' || cmd.cmd === 'stop') scheduler.cancel(job.name);
  }

  async function reload(next?: WorkerConfig): Promise<void> {
    let fresh: WorkerConfig;
    try {
      fresh = next ?? loadWorkerConfig(config.file).config;
      await checkWorkerConfig(fresh);
    } catch (err) {
      logger.error(`reload refused, nothing changed: ${(err as Error).message}`);
      throw err;
    }
    const before = new Map(config.mirrors.map((m) => [m.name, m]));
    const after = new Map(fresh.mirrors.map((m) => [m.name, m]));
    const created = new Map<string, MirrorJob>();
    for (const m of fresh.mirrors) {
      const old = before.get(m.name);
      if (!old || comparable(old) !== comparable(m)) created.set(m.name, await makeJob(m));
    }
    config = fresh;
    slots.setLimit(fresh.global.concurrent);
    for (const [name, job] of jobs) {
      if (after.has(name) && !created.has(name)) continue;
      scheduler.cancel(name);
      const keep = job.state;
      await job.control('disable');
      jobs.delete(name);
      const replacement = created.get(name);
      if (replacement) replacement.restoreState(keep === 'paused' || keep === 'disabled' ? keep : 'none');
      if (!replacement) reporter.reportJobRemoved(name);
      logger.info(replacement ? `reloaded job ${name}` : `removed job ${name}`);
    }
    for (const [name, job] of created) {
      const isNew = !before.has(name);
      jobs.set(name, job);
      if (job.state === 'none') {
        if (job.mirror.cron) scheduler.cron(name, job.mirror.cron);
        else scheduler.at(name, clock.now());
      }
      if (isNew) logger.info(`new job ${name}`);
    }
  }

  async function start(): Promise<void> {
    const app = createControlApp({ hasJob: (n) => jobs.has(n), jobCommand: command, reload: () => reload() }, config.manager.token, logger);
    const tls = config.server.sslCert !== '';
    try {
      server = tls
        ? createHttpsServer({ cert: readPem(config, 'ssl_cert', config.server.sslCert), key: readPem(config, 'ssl_key', config.server.sslKey) }, app)
        : createHttpServer(app);
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(config.server.listenPort, config.server.listenAddr, () => resolve());
      });
    } catch (err) {
      // Refusing to start: undo what prepareHooks set up.
      server = undefined;
      await hookSet.close();
      throw err;
    }
    const port = (server.address() as AddressInfo).port;
    url = `${tls ? 'https' : 'http'}://${config.server.hostname}:${port}/`;
    logger.info(`control server on ${config.server.listenAddr}:${port}, registering as ${url}`);

    reporter.start();
    // Restoring paused/disabled jobs needs the manager's view; a manager that is
    // down does not hold the worker back for long (it registers once it is up).
    await reporter.waitRegistered(opts.registerWaitMs ?? 5000);
    const stored = new Map<string, ReturnType<typeof parseMirrorStatus>>();
    for (const raw of await reporter.fetchJobs()) {
      try {
        const s = parseMirrorStatus(raw);
        stored.set(s.name, s);
      } catch {
        // A malformed entry is ignored: the job then starts as new.
      }
    }
    const now = clock.now();
    for (const job of jobs.values()) {
      const s = stored.get(job.name);
      if (s?.status === 'disabled' || s?.status === 'paused') {
        job.restoreState(s.status);
        continue;
      }
      if (job.mirror.cron) scheduler.cron(job.name, job.mirror.cron);
      else if (s) scheduleNext(job, s.lastUpdate.getTime() > now.getTime() ? now : s.lastUpdate);
      else scheduler.at(job.name, now);
    }
  }

  async function halt(): Promise<void> {
    scheduler.close();
    await Promise.all([...jobs.values()].map((j) => j.control('halt')));
    await reporter.flush(3000);
    await reporter.close();
    await hookSet.close();
    if (server) await new Promise<void>((r) => server!.close(() => r()));
  }

  return {
    jobs,
    get url() {
      return url;
    },
    start,
    command,
    reload,
    flushReports: (timeoutMs = 5000) => reporter.flush(timeoutMs),
    halt,
  };
}
