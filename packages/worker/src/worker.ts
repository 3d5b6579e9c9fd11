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
import { adoptRuns } from './adopt/adoption.js';
import { RunRecords } from './adopt/run-records.js';
import { createWorkerEvents } from './events.js';
import { createWorkerHeartbeat } from './heartbeat.js';
import { logRoutes } from './logs/log-routes.js';
import { prepareHooks, type HookSet } from './hooks/hook-set.js';
import { wireJobEvents } from './jobs/job-events.js';
import { JobSet } from './jobs/job-set.js';
import { MAINTENANCE_FILE, MaintenanceGate } from './maintenance.js';
import { MirrorJob } from './mirror-job.js';
import { createProvider } from './providers/registry.js';
import { createWorkerReporter } from './report-wiring.js';
import type { Reporter } from './reporter.js';
import { restoreJobs, storedStatuses } from './restore.js';
import { JobSchedules } from './schedule/job-schedules.js';
import { spreadMsOf } from './schedule/schedule-config.js';
import { upstreamHost } from './schedule/upstream-host.js';
import { Scheduler } from './scheduler.js';
import { ConcurrencySlots } from './slots.js';
import { lockStateDir } from './state-lock.js';
import { withScheduleMeta } from './metrics/schedule-meta.js';
import { workerMetricsRoutes } from './metrics/worker-metrics.js';
import type { HaltOptions, Worker, WorkerOptions } from './worker-api.js';

export type { HaltOptions, Worker, WorkerOptions } from './worker-api.js';

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
  const slots = new ConcurrencySlots(config.global.concurrent, { clock });
  slots.setHostLimits(config.global.perUpstreamConcurrent, config.perUpstreamConcurrent);
  // Runs recorded here can outlive this process (keep_syncs_on_restart) or be killed by the next one.
  const runRecords = config.global.stateDir ? new RunRecords(config.global.stateDir) : undefined;
  const graceMs = opts.graceMs ?? 5000;
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

  const maintenance = new MaintenanceGate(logger, config.global.stateDir ? join(config.global.stateDir, MAINTENANCE_FILE) : undefined, clock.now());
  const heartbeat = createWorkerHeartbeat(() => config, logger, maintenance);
  // A due run starts, unless maintenance mode holds it until it ends.
  const startDue = maintenance.wrap((name) => {
    schedules.due(name);
    // A mirror's first scheduled run in this process is its `startup` run.
    void set.jobs.get(name)?.control('start', ranSinceStart.has(name) ? 'schedule' : 'startup');
    ranSinceStart.add(name);
  });
  const scheduler = new Scheduler({
    clock,
    ...(opts.timers ? { timers: opts.timers } : {}),
    onDue: (name, when) => {
      events.emit('schedule:due', { mirror: name, due: when, latenessMs: Math.max(0, clock.now().getTime() - when.getTime()) });
      startDue(name);
    },
    onChange: (changes) => {
      reporter.reportSchedules(changes.map((c) => withScheduleMeta(c, set.jobs.get(c.name)?.mirror)));
      for (const c of changes) events.emit('schedule', { mirror: c.name, next: c.nextSchedule });
    },
  });
  const schedules = new JobSchedules(scheduler, clock, logger, { spreadMs: () => spreadMsOf(config) });
  const build = async (mirror: MirrorConfig): Promise<MirrorJob> => {
    const jobSlots = slots.forMirror({ priority: mirror.priority, host: upstreamHost(mirror.upstream) });
    const job = new MirrorJob({ mirror, provider: await createProvider(mirror), hooks: hookSet.hooksFor(mirror), slots: jobSlots, logger, clock, graceMs, ...(runRecords ? { runRecords } : {}) });
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
      slots.setHostLimits(fresh.global.perUpstreamConcurrent, fresh.perUpstreamConcurrent);
    });
  }

  async function start(): Promise<void> {
    const app = createControlApp({ hasJob: (n) => set.jobs.has(n), jobCommand: (c) => set.command(c), reload: () => reload() }, config.manager.token, logger, {
      // Built-in: the log routes (issue 15) and metrics (issue 16), then the caller's modules.
      routes: [
        logRoutes({
          secrets: () => [config.manager.token],
          nextRun: (n) => schedules.next(n),
          ...(config.global.stateDir ? { runIndexFile: join(config.global.stateDir, 'log-runs.jsonl') } : {}),
          ...(opts.timers ? { timers: opts.timers } : {}),
          ...(opts.logFollowerQueueBytes !== undefined ? { followerQueueBytes: opts.logFollowerQueueBytes } : {}),
        }),
        workerMetricsRoutes({ slots: () => config.global.concurrent }),
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
    // Runs the previous worker process left: adopted, completed or killed before anything is scheduled.
    if (runRecords) await adoptRuns({ records: runRecords, jobs: set.jobs, keep: config.global.keepSyncsOnRestart, graceMs, logger });
    // Restoring paused/disabled jobs needs the manager's view; a manager that is
    // down does not hold the worker back for long (it registers once it is up).
    await reporter.waitRegistered(opts.registerWaitMs ?? 5000);
    heartbeat.start();
    restoreJobs(set.jobs.values(), storedStatuses(await reporter.fetchJobs()), schedules);
  }

  async function halt(options: HaltOptions = {}): Promise<void> {
    scheduler.close();
    await heartbeat.close();
    const kept = new Set<string>();
    if (options.terminate && config.global.keepSyncsOnRestart) {
      await listener?.close(); // no command reaches a job that lets its sync go
      listener = undefined;
      for (const job of set.jobs.values()) if (job.detach()) kept.add(job.name);
      if (kept.size > 0) logger.info(`leaving ${kept.size} sync(s) running for the next worker: ${[...kept].join(', ')}`);
    }
    // A job whose sync was left running is not halted: its run stays as it is.
    await Promise.all([...set.jobs.values()].filter((j) => !kept.has(j.name)).map((j) => j.control('halt')));
    await reporter.flush(3000);
    await reporter.close();
    await hookSet.close(kept);
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
