/**
 * The manager's routes (wire-protocol.md, "Manager routes"), plus
 * `GET /healthz`. Each route checks its token first (before the body is
 * read), then validates everything it was sent, and only then writes: no
 * 4xx leaves anything behind.
 */
import {
  DEFAULT_MAX_JOBS_PER_WORKER,
  DEFAULT_MAX_WORKERS,
  NotFoundError,
  ValidationError,
  errorMessage,
  parseClientCmd,
  parseMirrorSchedules,
  parseMirrorStatus,
  parseRunFields,
  parseSizeUpdate,
  parseWorkerStatus,
  serializeMirrorStatus,
  serializeWorkerStatus,
  type MirrorStatus,
  type RunHistoryStep,
} from '@tunasync/core';
import type { Request, Response, Router } from 'express';
import { forwardCommand, type CommandContext } from './command.js';
import type { RunRetention } from './history/retention.js';
import { runStepOf, stepEndsRun } from './history/run-rules.js';
import type { JobsCache } from './jobs-cache.js';
import type { ManagerRouteContext } from './route-module.js';
import { applySizeUpdate, applySkippedReport, applyStatusReport } from './rules.js';
import { checkWorkerUrl } from './worker-url.js';

/** What the built-in route handlers share: a route module's context plus the command forwarder and the `/jobs` cache. */
export interface RouteContext extends ManagerRouteContext {
  command: CommandContext;
  jobs: JobsCache;
  /** Retention of the run history, told when a report ended a run. */
  history: RunRetention;
  /** Told of each stored status report after it was answered (alerts, issue 16). */
  statusReported?: (seen: { worker: string; previous: MirrorStatus | undefined; next: MirrorStatus; step: RunHistoryStep | undefined }) => void;
}

function param(req: Request, name: string): string {
  const v = req.params[name];
  return typeof v === 'string' ? v : '';
}

/** The 400 every `/workers/:id/...` route answers for an unknown worker; our worker re-registers on its code. */
function invalidWorker(id: string): ValidationError {
  return new ValidationError(`invalid workerID ${id}`, 'id', 'invalid_worker_id');
}

/** Checks a body's job name against the URL's `:job`. */
function checkJobName(bodyName: string, urlName: string): void {
  // tunasync answered 400 for an empty name but went on to write; we stop here.
  if (bodyName === '') throw new ValidationError('job name must not be empty', 'name');
  if (bodyName !== urlName) {
    throw new ValidationError(`job name ${JSON.stringify(bodyName)} in the body does not match ${JSON.stringify(urlName)} in the URL`, 'name');
  }
}

/** Mounts every tunasync route and `/healthz` on `router`. */
export function mountRoutes(router: Router, ctx: RouteContext): void {
  const { store, logger, clock, auth, jsonBody, config } = ctx;
  const maxWorkers = config.limits?.maxWorkers ?? DEFAULT_MAX_WORKERS;
  const maxJobs = config.limits?.maxJobsPerWorker ?? DEFAULT_MAX_JOBS_PER_WORKER;
  const allowWorkerUrls = config.server.allowWorkerUrls ?? [];
  // Jobs this manager has stored a report of (`worker\0mirror`): their reports skip the
  // max_jobs_per_worker read. Bounded by the limits; cleared when jobs or workers are removed.
  const knownJobs = new Set<string>();

  router.get('/ping', auth.read, (_req: Request, res: Response) => {
    res.json({ message: 'pong' });
  });

  // For load balancers and systemd: unlike /ping (tunasync's), it touches the store.
  router.get('/healthz', auth.read, async (req: Request, res: Response) => {
    try {
      await store.healthCheck();
    } catch (err) {
      const message = `store unavailable: ${errorMessage(err)}`;
      logger.warn(`${req.method} ${req.path}: ${message}`);
      res.status(503).json({ error: message, code: 'store_unavailable' });
      return;
    }
    res.json({ status: 'ok' });
  });

  router.get('/jobs', auth.read, async (_req: Request, res: Response) => {
    res.type('json').send(await ctx.jobs.body());
  });

  router.delete('/jobs/disabled', auth.admin, async (_req: Request, res: Response) => {
    const n = await store.flushDisabledJobs();
    knownJobs.clear();
    logger.info(`Flushed ${n} disabled job(s)`, { count: n });
    res.json({ message: 'flushed' });
  });

  router.get('/workers', auth.read, async (_req: Request, res: Response) => {
    const workers = await store.listWorkers();
    // Fix: tunasync answered `null` for no workers.
    res.json(workers.map((w) => serializeWorkerStatus(w, true)));
  });

  router.post('/workers', auth.any, jsonBody, async (req: Request, res: Response) => {
    const w = parseWorkerStatus(req.body);
    if (w.id === '') throw new ValidationError('worker id must not be empty', 'id');
    checkWorkerUrl(w.url, allowWorkerUrls);
    auth.requireWorker(req, w.id);
    if (!(await store.getWorker(w.id)) && (await store.listWorkers()).length >= maxWorkers) {
      throw new ValidationError(`id: the manager already has ${maxWorkers} workers (manager.conf [limits] max_workers)`, 'id', 'too_many_workers');
    }
    const now = clock.now();
    const stored = await store.createWorker({ ...w, lastOnline: now, lastRegister: now });
    logger.info(`Worker <${w.id}> registered at ${w.url}`, { worker: w.id });
    res.json(serializeWorkerStatus(stored, true));
  });

  router.delete('/workers/:id', auth.admin, async (req: Request, res: Response) => {
    const id = param(req, 'id');
    if (!(await store.deleteWorker(id))) throw invalidWorker(id);
    knownJobs.clear();
    logger.info(`Worker <${id}> deleted`, { worker: id });
    res.json({ message: 'deleted' });
  });

  router.get('/workers/:id/jobs', auth.read, async (req: Request, res: Response) => {
    const id = param(req, 'id');
    if (!(await store.getWorker(id))) throw invalidWorker(id);
    const jobs = await store.listMirrorStatus(id);
    // Fix: tunasync answered `null` for a worker without jobs.
    res.json(jobs.map(serializeMirrorStatus));
  });

  router.post('/workers/:id/jobs/:job', auth.worker('id'), jsonBody, async (req: Request, res: Response) => {
    const id = param(req, 'id');
    const reported = parseMirrorStatus(req.body);
    // Our worker's optional run fields (tunasync's manager ignores them); a bad one is a 400 and nothing is written.
    const runFields = parseRunFields(req.body);
    checkJobName(reported.name, param(req, 'job'));
    if (reported.worker !== '' && reported.worker !== id) {
      throw new ValidationError(`worker ${JSON.stringify(reported.worker)} in the body does not match ${JSON.stringify(id)} in the URL`, 'worker');
    }
    const now = clock.now();
    const jobKey = `${id}\u0000${reported.name}`;
    // The cap is checked before the write, and only for a job this manager has not seen
    // (no read per report); concurrent first reports of new jobs may pass it by a few.
    // The reads go out together (one round trip on a networked store, not three).
    const known = knownJobs.has(jobKey);
    const [worker, existing, jobCount] = await Promise.all([
      store.getWorker(id),
      known ? undefined : store.getMirrorStatus(id, reported.name),
      known ? 0 : store.countMirrorStatus(id),
    ]);
    if (!worker) throw invalidWorker(id);
    if (!known && !existing && jobCount >= maxJobs) {
      throw new ValidationError(`name: worker ${id} already has ${maxJobs} jobs (manager.conf [limits] max_jobs_per_worker)`, 'name', 'too_many_jobs');
    }
    let step: RunHistoryStep | undefined;
    let previous: MirrorStatus | undefined;
    // Both writes are queued in the same turn, so they share one group commit (one fsync).
    const [, stored] = await Promise.all([
      store.refreshWorker(id, now),
      store.updateMirrorStatus(
        id,
        reported.name,
        (prev) => (runFields?.skipped ? applySkippedReport((previous = prev), reported, id) : applyStatusReport((previous = prev), reported, id, now)),
        (prev, next) => (step = runStepOf(prev, next, runFields, now)),
      ),
    ]);
    knownJobs.add(jobKey);
    if (stepEndsRun(step)) ctx.history.runEnded(id, stored.name);
    const what = stored.status === 'syncing' ? 'starts syncing' : stored.status;
    logger.info(`Job [${stored.name}] @<${id}> ${what}`, { job: stored.name, worker: id, status: stored.status });
    res.json(serializeMirrorStatus(stored));
    ctx.statusReported?.({ worker: id, previous, next: stored, step });
  });

  // Extension (tunasync#29: jobs removed from a worker's config stayed listed
  // for ever): the worker deletes a job it no longer has, on reload.
  router.delete('/workers/:id/jobs/:job', auth.worker('id'), async (req: Request, res: Response) => {
    const id = param(req, 'id');
    const job = param(req, 'job');
    if (!(await store.getWorker(id))) throw invalidWorker(id);
    knownJobs.delete(`${id}\u0000${job}`);
    if (!(await store.deleteMirrorStatus(id, job))) throw new NotFoundError(`job ${job} of worker ${id} not found`);
    logger.info(`Job [${job}] @<${id}> deleted`, { job, worker: id });
    res.json({ message: 'deleted' });
  });

  router.post('/workers/:id/jobs/:job/size', auth.admin, jsonBody, async (req: Request, res: Response) => {
    const id = param(req, 'id');
    const update = parseSizeUpdate(req.body);
    checkJobName(update.name, param(req, 'job'));
    if (!(await store.getWorker(id))) throw invalidWorker(id);
    const stored = await store.updateMirrorStatus(id, update.name, (prev) => {
      if (!prev) throw new NotFoundError(`job ${update.name} of worker ${id} not found`);
      return applySizeUpdate(prev, update.size);
    });
    await store.refreshWorker(id, clock.now());
    logger.info(`Job [${stored.name}] @<${id}> size ${stored.size}`, { job: stored.name, worker: id, size: stored.size });
    res.json(serializeMirrorStatus(stored));
  });

  router.post('/workers/:id/schedules', auth.worker('id'), jsonBody, async (req: Request, res: Response) => {
    const id = param(req, 'id');
    const schedules = parseMirrorSchedules(req.body);
    if (!(await store.refreshWorker(id, clock.now()))) throw invalidWorker(id);
    const n = await store.setSchedules(id, schedules);
    // Our worker's extension fields (stale_after_s, interval_s), for stale mirrors (issue 16).
    const metas = schedules.filter((s) => s.staleAfterS !== undefined || s.intervalS !== undefined);
    if (metas.length > 0) await store.setJobMeta(id, metas.map((s) => ({ mirror: s.name, staleAfterS: s.staleAfterS, intervalS: s.intervalS })));
    logger.verbose(`Worker <${id}> updated ${n} schedule(s)`, { worker: id, count: n });
    res.json({});
  });

  router.post('/cmd', auth.admin, jsonBody, async (req: Request, res: Response) => {
    // Fixes: an unknown verb (tunasync ran `start`) and an empty worker_id
    // (tunasync: empty 500) are 400s with a message.
    const cmd = parseClientCmd(req.body);
    const worker = await store.getWorker(cmd.workerId);
    if (!worker) throw new ValidationError(`worker ${cmd.workerId} is not registered yet`, 'worker_id', 'worker_not_registered');
    res.json(await forwardCommand(ctx.command, worker, cmd));
  });
}
