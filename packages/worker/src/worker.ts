/**
 * The worker daemon, wired from parts with one job each: the jobs and reload
 * (jobs/job-set.ts), schedule policies over a timer-only scheduler
 * (schedule/), job events to statuses (jobs/job-events.ts), the control
 * server (control-server.ts, control-listener.ts), the reporter, and the
 * start-up restore (restore.ts). `createWorker` builds it; `start()`
 * listens, registers and schedules; `halt()` stops everything.
 */
import { join } from 'node:path';
import { loadWorkerConfig, systemClock, type MirrorConfig, type WorkerConfig } from '@tunasync/core';
import { checkWorkerConfig } from './config-checks.js';
import { listenControl, type ControlListener } from './control-listener.js';
import { createControlApp } from './control-server.js';
import { createWorkerEvents } from './events.js';
import { logRoutes } from './logs/log-routes.js';
import { prepareHooks, type HookSet } from './hooks/hook-set.js';
import { wireJobEvents } from './jobs/job-events.js';
import { JobSet } from './jobs/job-set.js';
import { MirrorJob } from './mirror-job.js';
import { createProvider } from './providers/registry.js';
import { createWorkerReporter } from './report-wiring.js';
import type { Reporter } from './reporter.js';
import { restoreJobs, storedStatuses } from './restore.js';
import { JobSchedules } from './schedule/job-schedules.js';
import { Scheduler } from './scheduler.js';
import { ConcurrencySlots } from './slots.js';
import { lockStateDir } from './state-lock.js';
import type { Worker, WorkerOptions } from './worker-api.js';

export type { Worker, WorkerOptions } from './worker-api.js';

/** Builds a worker from a loaded config; nothing runs until `start()`. */
export async function createWorker(opts: WorkerOptions): Promise<Worker> {
  const { logger } = opts;
  const clock = opts.clock ?? systemClock;
  let config = opts.config;
  let listener: ControlListener | undefined;
  await checkWorkerConfig(config); // the same check as reload and --dry-run
  // The state directory is locked before anything else is set up or read.
  const stateLock = config.global.stateDir ? lockStateDir(config.global.stateDir, { logger }) : undefined;
  const events = createWorkerEvents();
  const ranSinceStart = new Set<string>();
  const slots = new ConcurrencySlots(config.global.concurrent);
  let hookSet: HookSet;
  let reporter: Reporter;
  try {
    hookSet = await prepareHooks(config, logger);
    reporter = createWorkerReporter({ config: () => config, url: () => listener?.url ?? '', events, logger, clock, ...(stateLock ? { stateLock } : {}), ...(opts.maxBackoffMs ? { maxBackoffMs: opts.maxBackoffMs } : {}) });
  } catch (err) {
    stateLock?.release();
    throw err;
  }
  /** Undoes what creation set up when the worker refuses to start. */
  const refuse = async (): Promise<void> => {
    await hookSet.close(); // cgroups made by prepareHooks
    await reporter.close();
    stateLock?.release();
  };

  const scheduler = new Scheduler({
    clock,
    ...(opts.timers ? { timers: opts.timers } : {}),
    onDue: (name) => {
      schedules.due(name);
      // A mirror's first scheduled run in this process is its `startup` run.
      void set.jobs.get(name)?.control('start', ranSinceStart.has(name) ? 'schedule' : 'startup');
      ranSinceStart.add(name);
    },
    onChange: (changes) => {
      reporter.reportSchedules(changes);
      for (const c of changes) events.emit('schedule', { mirror: c.name, next: c.nextSchedule });
    },
  });
  const schedules = new JobSchedules(scheduler, clock, logger);
  const build = async (mirror: MirrorConfig): Promise<MirrorJob> => {
    const job = new MirrorJob({ mirror, provider: await createProvider(mirror), hooks: hookSet.hooksFor(mirror), slots, logger, clock, ...(opts.graceMs !== undefined ? { graceMs: opts.graceMs } : {}) });
    wireJobEvents(job, { events, schedules, reportStatus: (s, r) => reporter.reportStatus(s, r), workerName: () => config.global.name });
    return job;
  };
  const set = new JobSet({ build, schedules, reportJobRemoved: (n) => reporter.reportJobRemoved(n), logger });
  try {
    await set.create(config.mirrors);
  } catch (err) {
    await refuse();
    throw err;
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
    await set.reload(config.mirrors, fresh.mirrors, () => {
      config = fresh;
      slots.setLimit(fresh.global.concurrent);
    });
  }

  async function start(): Promise<void> {
    const app = createControlApp({ hasJob: (n) => set.jobs.has(n), jobCommand: (c) => set.command(c), reload: () => reload() }, config.manager.token, logger, {
      // Built-in: the log routes (issue 15), then the caller's modules.
      routes: [
        logRoutes({
          secrets: () => [config.manager.token],
          nextRun: (n) => schedules.next(n),
          ...(config.global.stateDir ? { runIndexFile: join(config.global.stateDir, 'log-runs.jsonl') } : {}),
          ...(opts.timers ? { timers: opts.timers } : {}),
        }),
        ...(opts.routes ?? []),
      ],
      services: { job: (n) => set.jobs.get(n), jobNames: () => [...set.jobs.keys()], events },
    });
    try {
      listener = await listenControl(app, config, logger);
    } catch (err) {
      await refuse();
      throw err;
    }
    reporter.start();
    // Restoring paused/disabled jobs needs the manager's view; a manager that is
    // down does not hold the worker back for long (it registers once it is up).
    await reporter.waitRegistered(opts.registerWaitMs ?? 5000);
    restoreJobs(set.jobs.values(), storedStatuses(await reporter.fetchJobs()), schedules);
  }

  async function halt(): Promise<void> {
    scheduler.close();
    await set.halt();
    await reporter.flush(3000);
    await reporter.close();
    await hookSet.close();
    await listener?.close();
    stateLock?.release();
  }

  return {
    get jobs() {
      return set.jobs;
    },
    get url() {
      return listener?.url ?? '';
    },
    events,
    nextRun: (name) => schedules.next(name),
    start,
    command: (cmd) => set.command(cmd),
    reload,
    flushReports: (timeoutMs = 5000) => reporter.flush(timeoutMs),
    halt,
  };
}
