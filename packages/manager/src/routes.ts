/**
 * The manager's routes (wire-protocol.md, "Manager routes"). Each handler
 * checks authentication, then validates everything it was sent, and only
 * then writes: no 4xx leaves anything behind.
 */
import {
  NotFoundError,
  ValidationError,
  parseClientCmd,
  parseMirrorSchedules,
  parseMirrorStatus,
  parseSizeUpdate,
  parseWorkerStatus,
  serializeMirrorStatus,
  serializeWebMirrorStatus,
  serializeWorkerStatus,
  type Clock,
  type JobStore,
  type Logger,
} from '@tunasync/core';
import type { Request, Response, Router } from 'express';
import type { Authenticator } from './auth.js';
import { forwardCommand, type CommandContext } from './command.js';
import { applySizeUpdate, applyStatusReport } from './rules.js';

/** What the route handlers share. */
export interface RouteContext {
  store: JobStore;
  logger: Logger;
  clock: Clock;
  auth: Authenticator;
  command: CommandContext;
  /** IANA zone for `/jobs` text times; the process's zone when undefined. */
  timeZone?: string;
}

function param(req: Request, name: string): string {
  const v = req.params[name];
  return typeof v === 'string' ? v : '';
}

function invalidWorker(id: string): ValidationError {
  return new ValidationError(`invalid workerID ${id}`, 'id');
}

/** Checks a body's job name against the URL's `:job`. */
function checkJobName(bodyName: string, urlName: string): void {
  // tunasync answered 400 for an empty name but went on to write; we stop here.
  if (bodyName === '') throw new ValidationError('job name must not be empty', 'name');
  if (bodyName !== urlName) {
    throw new ValidationError(`job name ${JSON.stringify(bodyName)} in the body does not match ${JSON.stringify(urlName)} in the URL`, 'name');
  }
}

function checkWorkerUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ValidationError(`url: ${JSON.stringify(url)} is not a URL`, 'url');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ValidationError(`url: ${JSON.stringify(url)} must be http or https`, 'url');
  }
}

/** Mounts every manager route on `router`. */
export function mountRoutes(router: Router, ctx: RouteContext): void {
  const { store, logger, clock, auth } = ctx;
  // `/jobs` is read by every status page and is the largest answer (about
  // 400 bytes a job): serialised once per change of the store, not per request.
  let jobsCache: { generation: string; body: string } | undefined;

  router.get('/ping', (req: Request, res: Response) => {
    auth.requireRead(req);
    res.json({ message: 'pong' });
  });

  router.get('/jobs', async (req: Request, res: Response) => {
    auth.requireRead(req);
    const generation = store.generation ? await store.generation() : undefined;
    if (generation === undefined || jobsCache?.generation !== generation) {
      const all = await store.listAllMirrorStatus();
      const body = JSON.stringify(all.map((s) => serializeWebMirrorStatus(s, ctx.timeZone)));
      jobsCache = generation === undefined ? undefined : { generation, body };
      res.type('json').send(body);
      return;
    }
    res.type('json').send(jobsCache.body);
  });

  router.delete('/jobs/disabled', async (req: Request, res: Response) => {
    auth.requireAdmin(req);
    const n = await store.flushDisabledJobs();
    logger.info(`Flushed ${n} disabled job(s)`, { count: n });
    res.json({ message: 'flushed' });
  });

  router.get('/workers', async (req: Request, res: Response) => {
    auth.requireRead(req);
    const workers = await store.listWorkers();
    // Fix: tunasync answered `null` for no workers.
    res.json(workers.map((w) => serializeWorkerStatus(w, true)));
  });

  router.post('/workers', async (req: Request, res: Response) => {
    auth.requireAny(req);
    const w = parseWorkerStatus(req.body);
    if (w.id === '') throw new ValidationError('worker id must not be empty', 'id');
    checkWorkerUrl(w.url);
    auth.requireWorker(req, w.id);
    const now = clock.now();
    const stored = await store.createWorker({ ...w, lastOnline: now, lastRegister: now });
    logger.info(`Worker <${w.id}> registered at ${w.url}`, { worker: w.id });
    res.json(serializeWorkerStatus(stored, true));
  });

  router.delete('/workers/:id', async (req: Request, res: Response) => {
    const id = param(req, 'id');
    auth.requireAdmin(req);
    if (!(await store.deleteWorker(id))) throw invalidWorker(id);
    logger.info(`Worker <${id}> deleted`, { worker: id });
    res.json({ message: 'deleted' });
  });

  router.get('/workers/:id/jobs', async (req: Request, res: Response) => {
    const id = param(req, 'id');
    auth.requireRead(req);
    if (!(await store.getWorker(id))) throw invalidWorker(id);
    const jobs = await store.listMirrorStatus(id);
    // Fix: tunasync answered `null` for a worker without jobs.
    res.json(jobs.map(serializeMirrorStatus));
  });

  router.post('/workers/:id/jobs/:job', async (req: Request, res: Response) => {
    const id = param(req, 'id');
    auth.requireWorker(req, id);
    const reported = parseMirrorStatus(req.body);
    checkJobName(reported.name, param(req, 'job'));
    if (reported.worker !== '' && reported.worker !== id) {
      throw new ValidationError(`worker ${JSON.stringify(reported.worker)} in the body does not match ${JSON.stringify(id)} in the URL`, 'worker');
    }
    const now = clock.now();
    if (!(await store.refreshWorker(id, now))) throw invalidWorker(id);
    const stored = await store.updateMirrorStatus(id, reported.name, (prev) => applyStatusReport(prev, reported, id, now));
    const what = stored.status === 'syncing' ? 'starts syncing' : stored.status;
    logger.info(`Job [${stored.name}] @<${id}> ${what}`, { job: stored.name, worker: id, status: stored.status });
    res.json(serializeMirrorStatus(stored));
  });

  // Extension (tunasync#29: jobs removed from a worker's config stayed listed
  // for ever): the worker deletes a job it no longer has, on reload.
  router.delete('/workers/:id/jobs/:job', async (req: Request, res: Response) => {
    const id = param(req, 'id');
    const job = param(req, 'job');
    auth.requireWorker(req, id);
    if (!(await store.getWorker(id))) throw invalidWorker(id);
    if (!(await store.deleteMirrorStatus(id, job))) throw new NotFoundError(`job ${job} of worker ${id} not found`);
    logger.info(`Job [${job}] @<${id}> deleted`, { job, worker: id });
    res.json({ message: 'deleted' });
  });

  router.post('/workers/:id/jobs/:job/size', async (req: Request, res: Response) => {
    const id = param(req, 'id');
    auth.requireAdmin(req);
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

  router.post('/workers/:id/schedules', async (req: Request, res: Response) => {
    const id = param(req, 'id');
    auth.requireWorker(req, id);
    const schedules = parseMirrorSchedules(req.body);
    if (!(await store.refreshWorker(id, clock.now()))) throw invalidWorker(id);
    const n = await store.setSchedules(id, schedules);
    logger.debug(`Worker <${id}> updated ${n} schedule(s)`, { worker: id, count: n });
    res.json({});
  });

  router.post('/cmd', async (req: Request, res: Response) => {
    auth.requireAdmin(req);
    // Fixes: an unknown verb (tunasync ran `start`) and an empty worker_id
    // (tunasync: empty 500) are 400s with a message.
    const cmd = parseClientCmd(req.body);
    const worker = await store.getWorker(cmd.workerId);
    if (!worker) throw new ValidationError(`worker ${cmd.workerId} is not registered yet`, 'worker_id');
    res.json(await forwardCommand(ctx.command, worker, cmd));
  });
}
