/**
 * `GET /metrics` on the manager (issue 16), a route module mounted by
 * default: Prometheus text format. Each app has its own prom-client
 * Registry (never the global one: several apps may share a process) with
 * the process defaults and `tunasync_build_info{version}`; the site and
 * per-mirror series come from the store (collect.ts: read again when it changed), so
 * counters survive restarts and agree between managers on one store.
 *
 * Access: the read scope, as `/jobs`, or `Authorization: Bearer <[metrics] token>`.
 */
import { readFileSync } from 'node:fs';
import { parseBearer, tokensEqual } from '@tunasync/core';
import type { NextFunction, Request, Response } from 'express';
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { ManagerRouteContext, ManagerRouteModule } from '../route-module.js';
import { SiteMetrics, type SiteMetricsHooks } from './collect.js';

/** The manager package's version, for `tunasync_build_info`. */
export function managerVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * prom-client's defaults include gauges named `…_total` (`nodejs_active_handles_total`
 * and kin) that `promtool check metrics` refuses; the same counts stay
 * available by type (`nodejs_active_handles{type}`). Removes them.
 */
export function dropLintFailingDefaults(registry: Registry): void {
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
    registry.removeSingleMetric(name);
  }
}

/** Options of metricsRoutes. */
export interface MetricsRoutesOptions extends SiteMetricsHooks {
  /** `tunasync_build_info{version}` (default: the package's version). */
  version?: string;
  /** Process default metrics (`process_*`, `nodejs_*`; default true). */
  defaultMetrics?: boolean;
}

/** A private registry with the defaults and the build info. */
export function createManagerRegistry(options: MetricsRoutesOptions = {}): Registry {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) {
    collectDefaultMetrics({ register: registry });
    dropLintFailingDefaults(registry);
  }
  const info = new Gauge({ name: 'tunasync_build_info', help: 'The tunasync-ts manager version; always 1.', labelNames: ['version'], registers: [registry] });
  info.set({ version: options.version ?? managerVersion() }, 1);
  return registry;
}

/** The `GET /metrics` route module. */
export function metricsRoutes(options: MetricsRoutesOptions = {}): ManagerRouteModule {
  return {
    name: 'metrics',
    mount(router, ctx: ManagerRouteContext) {
      const registry = createManagerRegistry(options);
      const site = new SiteMetrics(ctx.store, options);
      ctx.signal?.addEventListener('abort', () => site.close(), { once: true });
      const token = ctx.config.metrics?.token ?? '';
      const allow = (req: Request, _res: Response, next: NextFunction): void => {
        const given = token === '' ? undefined : parseBearer(req.headers.authorization);
        if (given === undefined || !tokensEqual(given, token)) ctx.auth.requireRead(req);
        next();
      };
      router.get('/metrics', allow, async (_req: Request, res: Response) => {
        const [own, parts] = await Promise.all([registry.metrics(), site.collect(ctx.clock.now())]);
        // Written part by part with its length, not through res.send: no copy of the whole
        // body, and no ETag (a hash of megabytes that no Prometheus sends back).
        const body = [Buffer.from(own), ...parts];
        res.status(200).type(registry.contentType);
        res.setHeader('Content-Length', body.reduce((n, b) => n + b.length, 0));
        for (const b of body) res.write(b);
        res.end();
      });
    },
  };
}
