/**
 * The run history routes (issue 14), a route module mounted by default:
 *
 * - `GET /jobs/:mirror/history?limit=N&worker=W&result=R&before=RUN_ID`: the
 *   mirror's runs as `serializeRunRecord` rows, newest first (`limit`
 *   default 20, 1 to 1000; `before` pages on from a run of the mirror);
 * - `GET /jobs/:mirror`: the mirror's status on each worker in the `/jobs`
 *   entry shape plus `worker`, `last_run` (a history row or null) and `stats`
 *   over the kept runs (see stats.ts); one entry per registered worker that
 *   has the mirror, by worker id.
 *
 * Read scope, as `/jobs`. An unknown mirror (no status, no run) is a 404
 * `unknown_mirror`; a bad query value a 400 naming the parameter.
 */
import {
  RUN_RESULTS,
  TunasyncError,
  ValidationError,
  serializeRunRecord,
  serializeWebMirrorStatus,
  type JobStore,
  type MirrorStatus,
  type RunQuery,
  type RunResult,
} from '@tunasync/core';
import type { Request, Response } from 'express';
import type { ManagerRouteContext, ManagerRouteModule } from '../route-module.js';
import { historyPolicy } from './retention.js';
import { runStats } from './stats.js';

/** Default `limit` of a history page. */
export const DEFAULT_HISTORY_LIMIT = 20;
/** Largest `limit` of a history page. */
export const MAX_HISTORY_LIMIT = 1000;

function bad(param: string, why: string): ValidationError {
  return new ValidationError(`${param}: ${why}`, param);
}

/** One query parameter as a single string (undefined when absent); repeated or nested values are a 400. */
function queryValue(req: Request, name: string): string | undefined {
  const v = req.query[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw bad(name, 'must be given once, as a plain value');
  return v;
}

/** Parses the history query (everything but resolving `before`). */
export function parseHistoryQuery(req: Request): RunQuery {
  const q: RunQuery = { limit: DEFAULT_HISTORY_LIMIT };
  const limit = queryValue(req, 'limit');
  if (limit !== undefined) {
    const n = /^\d{1,7}$/.test(limit) ? Number(limit) : NaN;
    if (!(n >= 1 && n <= MAX_HISTORY_LIMIT)) throw bad('limit', `must be a whole number from 1 to ${MAX_HISTORY_LIMIT}, not ${JSON.stringify(limit)}`);
    q.limit = n;
  }
  const worker = queryValue(req, 'worker');
  if (worker !== undefined) {
    if (worker === '') throw bad('worker', 'must not be empty');
    q.worker = worker;
  }
  const result = queryValue(req, 'result');
  if (result !== undefined) {
    if (!RUN_RESULTS.includes(result as RunResult)) throw bad('result', `must be one of ${RUN_RESULTS.join(', ')}, not ${JSON.stringify(result)}`);
    q.result = result as RunResult;
  }
  const before = queryValue(req, 'before');
  if (before !== undefined) {
    if (before === '') throw bad('before', 'must not be empty');
    q.before = before;
  }
  return q;
}

function unknownMirror(mirror: string): TunasyncError {
  return new TunasyncError('NOT_FOUND', 404, `mirror ${mirror} is not known: no worker reported it and no run of it is kept`, {
    wireCode: 'unknown_mirror',
  });
}

/**
 * The mirror's status on each registered worker, by worker id: one keyed
 * read per worker instead of reading every job of the site (a job left by a
 * deleted worker, still listed by `/jobs` as in tunasync, is not shown).
 */
async function statusesOf(store: JobStore, mirror: string): Promise<MirrorStatus[]> {
  const out: MirrorStatus[] = [];
  for (const w of await store.listWorkers()) {
    const s = await store.getMirrorStatus(w.id, mirror);
    if (s) out.push(s);
  }
  return out;
}

async function known(store: JobStore, mirror: string): Promise<boolean> {
  if ((await store.listRuns(mirror, { limit: 1 })).length > 0) return true;
  return (await statusesOf(store, mirror)).length > 0;
}

function param(req: Request, name: string): string {
  const v = req.params[name];
  return typeof v === 'string' ? v : '';
}

/** The history route module. */
export function historyRoutes(): ManagerRouteModule {
  return {
    name: 'history',
    mount(router, ctx: ManagerRouteContext) {
      const { store, auth } = ctx;
      const { keep } = historyPolicy(ctx.config);

      router.get('/jobs/:mirror/history', auth.read, async (req: Request, res: Response) => {
        const mirror = param(req, 'mirror');
        const q = parseHistoryQuery(req);
        if (q.before !== undefined && !(await store.getRun(mirror, q.before, q.worker))) {
          if (!(await known(store, mirror))) throw unknownMirror(mirror);
          const on = q.worker !== undefined ? ` on worker ${q.worker}` : '';
          throw bad('before', `mirror ${mirror} has no run ${q.before}${on}`);
        }
        const rows = await store.listRuns(mirror, q);
        if (rows.length === 0 && !(await known(store, mirror))) throw unknownMirror(mirror);
        res.json(rows.map(serializeRunRecord));
      });

      router.get('/jobs/:mirror', auth.read, async (req: Request, res: Response) => {
        const mirror = param(req, 'mirror');
        const statuses = await statusesOf(store, mirror);
        if (statuses.length === 0 && !(await known(store, mirror))) throw unknownMirror(mirror);
        const entries = [];
        for (const s of statuses) {
          const runs = await store.listRuns(mirror, { limit: keep, worker: s.worker });
          entries.push({
            ...serializeWebMirrorStatus(s, ctx.timeZone),
            worker: s.worker,
            last_run: runs[0] ? serializeRunRecord(runs[0]) : null,
            stats: runStats(runs),
          });
        }
        res.json(entries);
      });
    },
  };
}
