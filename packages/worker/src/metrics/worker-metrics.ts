/**
 * `GET /metrics` on the worker's control server (issue 16), a
 * WorkerRouteModule mounted by the worker: a private prom-client Registry
 * (never the global one: several workers may share a process) with the
 * process defaults and the worker's series, fed by `worker.events`:
 *
 * - `tunasync_worker_jobs_running`, `tunasync_worker_slots` (`concurrent`);
 * - `tunasync_worker_outbox_depth{manager}` (reports waiting per manager);
 * - `tunasync_worker_run_duration_seconds{mirror,result}` (histogram, 10 s … 24 h; skipped runs are not runs);
 * - `tunasync_worker_scheduler_lateness_seconds` (histogram: how late timers fired);
 * - `tunasync_worker_reports_total{manager,result}` (`sent`, `refused` (retried),
 *   `dropped` (refused for good), `dead_letter`).
 *
 * Access: the control server's token (`[manager] token`), as commands.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Request, Response } from 'express';
import type { WorkerEventEmitter } from '../events.js';
import type { WorkerRouteContext, WorkerRouteModule } from '../control-server.js';
import { CompactHistogram } from './compact-histogram.js';

/** Buckets of the run duration histogram, in seconds: 10 s to 24 h. */
export const RUN_DURATION_BUCKETS = [10, 30, 60, 300, 600, 1800, 3600, 7200, 14_400, 28_800, 43_200, 86_400];
/** Buckets of the scheduler lateness histogram, in seconds. */
export const LATENESS_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600];

/** Options of workerMetricsRoutes. */
export interface WorkerMetricsOptions {
  /** The concurrency limit now (`[global] concurrent`; read on each scrape, so a reload shows). */
  slots: () => number;
  /** Process default metrics (default true). */
  defaultMetrics?: boolean;
}

/** The worker's registry, fed by `events`; `running` counts jobs with a run in progress. */
export function createWorkerRegistry(events: WorkerEventEmitter, options: WorkerMetricsOptions): Registry {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) {
    collectDefaultMetrics({ register: registry });
    // Gauges named …_total that `promtool check metrics` refuses; the counts stay available by type.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) registry.removeSingleMetric(name);
  }
  const running = new Set<string>();
  new Gauge({
    name: 'tunasync_worker_jobs_running',
    help: 'Jobs with a run in progress.',
    registers: [registry],
    collect() {
      this.set(running.size);
    },
  });
  new Gauge({
    name: 'tunasync_worker_slots',
    help: 'Runs allowed at once ([global] concurrent).',
    registers: [registry],
    collect() {
      this.set(options.slots());
    },
  });
  const depth = new Gauge({ name: 'tunasync_worker_outbox_depth', help: 'Reports waiting to be delivered, per manager.', labelNames: ['manager'], registers: [registry] });
  // One series per mirror and result: kept compact (see compact-histogram.ts), rendered as prom-client would.
  const duration = new CompactHistogram({
    name: 'tunasync_worker_run_duration_seconds',
    help: 'How long runs took (all tries), by mirror and result.',
    labelNames: ['mirror', 'result'],
    buckets: RUN_DURATION_BUCKETS,
    registers: [registry],
  });
  const lateness = new Histogram({
    name: 'tunasync_worker_scheduler_lateness_seconds',
    help: 'How late scheduled runs were due when their timer fired.',
    buckets: LATENESS_BUCKETS,
    registers: [registry],
  });
  const reports = new Counter({ name: 'tunasync_worker_reports_total', help: 'Reports to managers by outcome.', labelNames: ['manager', 'result'], registers: [registry] });

  events.on('run:start', (e) => running.add(e.mirror));
  events.on('run:end', (e) => {
    running.delete(e.mirror);
    if (e.outcome !== 'skipped') duration.observe({ mirror: e.mirror, result: e.outcome }, e.durationMs / 1000);
  });
  events.on('schedule:due', (e) => lateness.observe(e.latenessMs / 1000));
  events.on('outbox:depth', (e) => depth.set({ manager: e.manager }, e.depth));
  events.on('report:sent', (e) => reports.inc({ manager: e.manager, result: 'sent' }));
  events.on('report:refused', (e) => reports.inc({ manager: e.manager, result: e.dropped ? 'dropped' : 'refused' }));
  events.on('report:dead-letter', (e) => reports.inc({ manager: e.manager, result: 'dead_letter' }));
  return registry;
}

/** The worker's `GET /metrics` route module. */
export function workerMetricsRoutes(options: WorkerMetricsOptions): WorkerRouteModule {
  return {
    name: 'metrics',
    mount(router, ctx: WorkerRouteContext) {
      const registry = createWorkerRegistry(ctx.events, options);
      router.get('/metrics', ctx.requireToken, (_req: Request, res: Response, next) => {
        registry.metrics().then((text) => res.type(registry.contentType).send(text), next);
      });
    },
  };
}
