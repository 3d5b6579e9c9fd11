/**
 * `GET /stale` (issue 16), a route module mounted by default: the mirrors
 * that are stale now by the manager's clock (see stale.ts), as a JSON list
 * ordered by worker then mirror:
 * `[{"mirror", "worker", "last_success", "stale_after_s", "reason"}]`,
 * `last_success` RFC 3339 or null when the mirror never succeeded,
 * `stale_after_s` the threshold applied. Read scope, as `/jobs`.
 */
import { formatRfc3339, isZeroTime, type JobStore } from '@tunasync/core';
import type { Request, Response } from 'express';
import type { ManagerRouteContext, ManagerRouteModule } from '../route-module.js';
import { jobKey, metaByJob, staleness, type StaleReason } from './stale.js';

/** One entry of `GET /stale`. */
export interface StaleMirrorJSON {
  mirror: string;
  worker: string;
  last_success: string | null;
  stale_after_s: number;
  reason: StaleReason;
}

/** The stale mirrors at `nowMs`, by worker then mirror. */
export async function listStaleMirrors(store: JobStore, nowMs: number): Promise<StaleMirrorJSON[]> {
  const [statuses, metas] = await Promise.all([store.listAllMirrorStatus(), store.listJobMeta()]);
  const meta = metaByJob(metas);
  const out: StaleMirrorJSON[] = [];
  for (const s of statuses) {
    const v = staleness(s, meta.get(jobKey(s.worker, s.name)), nowMs);
    if (!v.stale) continue;
    out.push({
      mirror: s.name,
      worker: s.worker,
      last_success: isZeroTime(s.lastUpdate) ? null : formatRfc3339(s.lastUpdate),
      stale_after_s: v.thresholdS!,
      reason: v.reason!,
    });
  }
  return out;
}

/** The `GET /stale` route module. */
export function staleRoutes(): ManagerRouteModule {
  return {
    name: 'stale',
    mount(router, ctx: ManagerRouteContext) {
      router.get('/stale', ctx.auth.read, async (_req: Request, res: Response) => {
        res.json(await listStaleMirrors(ctx.store, ctx.clock.now().getTime()));
      });
    },
  };
}
