/**
 * The worker's log routes (issue 15), a control-server route module behind
 * the same token rule as commands:
 *
 * - `GET /jobs`: the worker's jobs and their state;
 * - `GET /jobs/:mirror/log?run=&tail=&offset=`: a log as text (log-text.ts);
 * - `GET /jobs/:mirror/log/stream?tail=|offset=|from=run`: the current run's
 *   log as Server-Sent Events (log-stream.ts); `from=run` starts at the
 *   current try's first line.
 *
 * A mirror's `password` and the worker's tokens are `***` in every line
 * served; only files inside the job's log directory are read. Errors are
 * `{"error", "code"}`.
 */
import { statSync } from 'node:fs';
import { errorMessage, type Logger, type SyncStatus } from '@tunasync/core';
import type { NextFunction, Request, RequestHandler, Response, Router } from 'express';
import type { WorkerRouteContext, WorkerRouteModule } from '../control-server.js';
import type { MirrorJob } from '../mirror-job.js';
import { realTimers, type TimerApi } from '../scheduler.js';
import { LogRequestError, checkMirrorParam, liveLog, resolveLog, type ResolvedLog } from './log-files.js';
import { DEFAULT_FOLLOWER_QUEUE_BYTES, LogFanout } from './log-fanout.js';
import { followLog, type StreamStart } from './log-stream.js';
import { MAX_TAIL, queryCount, queryString, sendLogText } from './log-text.js';
import { createRedactor, type Redactor } from './redact.js';
import { RunIndex } from './run-index.js';

/** Default number of lines a stream starts with. */
export const DEFAULT_STREAM_TAIL = 10;
/** Streams one client address may hold open at once. */
export const DEFAULT_STREAMS_PER_ADDRESS = 64;

/** What the log routes need besides the route context. */
export interface LogRoutesOptions {
  /** The worker's tokens now (redacted from every line). */
  secrets(): string[];
  /** When job `name` runs next. */
  nextRun(name: string): Date | undefined;
  /** Where the run index is kept (none: in memory only). */
  runIndexFile?: string;
  /** Keep-alive timers (default: the real ones). */
  timers?: TimerApi;
  /** Streams per client address (default 64). */
  streamsPerAddress?: number;
  /** Bytes a follower may have queued before it is dropped (default 16 MiB). */
  followerQueueBytes?: number;
}

/** One entry of `GET /jobs`. */
export interface WorkerJobEntry {
  name: string;
  /** The last sync status this worker reported, or what the control state implies. */
  status: SyncStatus;
  /** The control state (`none`, `ready`, `paused`, `disabled`, `halting`). */
  state: string;
  running: boolean;
  run_id: string | null;
  next_run: string | null;
}

type AsyncHandler = (req: Request, res: Response) => Promise<void>;

function handle(fn: AsyncHandler, logger: Logger): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    fn(req, res).catch((err: unknown) => {
      if (res.headersSent) {
        logger.warn(`log route: ${errorMessage(err)}`);
        if (!res.writableEnded) res.destroy();
        return;
      }
      if (err instanceof LogRequestError) {
        res.status(err.status).json({ error: err.message, code: err.code });
        return;
      }
      next(err);
    });
  };
}

/** The log routes as a control-server module. */
export function logRoutes(opts: LogRoutesOptions): WorkerRouteModule {
  return {
    name: 'logs',
    mount(router: Router, ctx: WorkerRouteContext): void {
      const index = new RunIndex(opts.runIndexFile, ctx.logger);
      const statuses = new Map<string, SyncStatus>();
      const timers = opts.timers ?? realTimers;
      const perAddress = new Map<string, number>();
      const fanout = new LogFanout({ queueBytes: opts.followerQueueBytes ?? DEFAULT_FOLLOWER_QUEUE_BYTES, timers });
      const limit = opts.streamsPerAddress ?? DEFAULT_STREAMS_PER_ADDRESS;
      ctx.events.on('job:status', (e) => statuses.set(e.mirror, e.status.status));
      // Where each try began writing its file (a second run in the same minute appends to the first's).
      const tryStarts = new Map<string, number>();
      ctx.events.on('run:start', (e) => {
        let size = 0;
        try {
          size = statSync(e.logFile).size;
        } catch {
          // not created yet: the try writes from 0
        }
        tryStarts.set(e.logFile, size);
        if (tryStarts.size > 1000) tryStarts.delete(tryStarts.keys().next().value!);
      });
      ctx.events.on('run:end', (e) => {
        if (e.logFile) index.add(e.mirror, e.runId, e.logFile, e.outcome);
      });
      const secretsOf = (job: MirrorJob): string[] => [job.mirror.password ?? '', ...opts.secrets()];
      const redactorFor = (job: MirrorJob): Redactor => createRedactor(secretsOf(job));
      const jobOf = (req: Request): MirrorJob => {
        const mirror = String(req.params.mirror ?? '');
        checkMirrorParam(mirror);
        const job = ctx.job(mirror);
        if (!job) throw new LogRequestError(404, `Mirror ${mirror} not found`, 'unknown_mirror');
        return job;
      };
      const runParam = (req: Request): string | undefined => {
        const v = req.query.run;
        if (v === undefined) return undefined;
        if (typeof v !== 'string') throw new LogRequestError(400, 'run: must be given once, as a plain value', 'bad_run');
        return v;
      };

      router.get('/jobs', ctx.requireToken, (_req, res) => {
        const entries: WorkerJobEntry[] = ctx.jobNames().flatMap((name) => {
          const job = ctx.job(name);
          if (!job) return [];
          const next = opts.nextRun(name);
          const implied: SyncStatus = job.state === 'disabled' ? 'disabled' : job.state === 'paused' ? 'paused' : 'none';
          return [{ name, status: statuses.get(name) ?? implied, state: job.state, running: job.running, run_id: job.currentRunId ?? null, next_run: next ? next.toISOString() : null }];
        });
        res.json(entries);
      });

      router.get(
        '/jobs/:mirror/log',
        ctx.requireToken,
        handle(async (req, res) => {
          const job = jobOf(req);
          const log = await resolveLog(job, runParam(req), index);
          await sendLogText(req, res, log, redactorFor(job));
        }, ctx.logger),
      );

      router.get(
        '/jobs/:mirror/log/stream',
        ctx.requireToken,
        handle(async (req, res) => {
          const job = jobOf(req);
          if (req.query.run !== undefined) throw new LogRequestError(400, 'run: a stream follows the current run; read a past run with GET /jobs/:mirror/log', 'bad_run');
          const tail = queryCount(req, 'tail', MAX_TAIL);
          const lastId = req.get('last-event-id');
          const offset = lastId !== undefined && /^\d{1,16}$/.test(lastId) ? Number(lastId) : queryCount(req, 'offset', Number.MAX_SAFE_INTEGER);
          if (tail !== undefined && offset !== undefined && lastId === undefined) throw new LogRequestError(400, 'give tail or offset, not both', 'bad_query');
          const from = queryString(req, 'from');
          if (from !== undefined && from !== 'run') throw new LogRequestError(400, 'from: must be run (the current try from its first line)', 'bad_from');
          const start: StreamStart = offset !== undefined ? { offset } : from === 'run' ? { fromTry: true } : { tail: tail ?? DEFAULT_STREAM_TAIL };
          // The try running now (its file may not exist yet), else the latest log; none while a run waits for its first try.
          let log: ResolvedLog | undefined = liveLog(job);
          if (!log && !job.running) log = await resolveLog(job, 'latest', index);
          const address = req.socket.remoteAddress ?? '';
          const open = perAddress.get(address) ?? 0;
          if (open >= limit) throw new LogRequestError(429, `too many log streams from ${address} (${limit})`, 'too_many_streams');
          perAddress.set(address, open + 1);
          try {
            const secrets = secretsOf(job);
            await followLog(res, { job, log, start, events: ctx.events, redact: createRedactor(secrets), redactKey: secrets.join('\0'), index, timers, fanout, tryStart: (f) => tryStarts.get(f) ?? 0 });
          } finally {
            const n = (perAddress.get(address) ?? 1) - 1;
            if (n > 0) perAddress.set(address, n);
            else perAddress.delete(address);
          }
        }, ctx.logger),
      );
    },
  };
}
