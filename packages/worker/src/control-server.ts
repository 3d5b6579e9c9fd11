/**
 * The worker's control server as an express router: `POST /` with a
 * WorkerCmd from the manager. Replies as tunasync does: {"msg":"OK"}, 400
 * Invalid request, 404 Mirror <id> not found, 406 Invalid Command; with a
 * `[manager] token`, a command without `Authorization: Bearer <token>` gets
 * 401 before its body is read. Other modules (logs, metrics) mount their
 * routes through WorkerRouteModule, before the 404.
 */
import express, { Router, type Express, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { errorMessage, isCommandVerb, parseBearer, parseWorkerCmd, tokensEqual, type Logger, type WorkerCmd } from '@tunasync/core';
import type { WorkerEventEmitter } from './events.js';
import type { MirrorJob } from './mirror-job.js';

/** What the control server asks of the worker. */
export interface CommandTarget {
  /** True when a job of that name exists. */
  hasJob(name: string): boolean;
  /** Applies a job command (start, stop, disable, restart, ping). */
  jobCommand(cmd: WorkerCmd): Promise<void>;
  /** Reloads the worker's config. */
  reload(): Promise<void>;
}

/** What a route module may use of the worker. */
export interface WorkerRouteServices {
  /** The job of that name, if the worker has it now. */
  job(name: string): MirrorJob | undefined;
  /** The names of the worker's jobs now. */
  jobNames(): string[];
  /** The worker's events. */
  events: WorkerEventEmitter;
}

/** What a route module gets when it mounts. */
export interface WorkerRouteContext extends WorkerRouteServices {
  logger: Logger;
  /** Middleware: 401 unless the request carries the worker's `[manager] token` (passes when none is set). */
  requireToken: RequestHandler;
}

/** Routes another module adds to the control server (e.g. `GET /jobs/:mirror/log`). */
export interface WorkerRouteModule {
  /** Shown in logs. */
  readonly name: string;
  /** Adds its routes to `router`, which is mounted at `/` before the 404. */
  mount(router: Router, ctx: WorkerRouteContext): void;
}

/** Extra routes for createControlApp. */
export interface ControlAppOptions {
  routes?: WorkerRouteModule[];
  /** Needed by route modules; a module is refused without it. */
  services?: WorkerRouteServices;
}

/** Middleware checking `Authorization: Bearer <token>` (any case of `Bearer`) in constant time; open when `token` is empty. */
export function requireBearer(token: string): RequestHandler {
  return (req, res, next) => {
    if (!token) return next();
    const given = parseBearer(req.get('authorization'));
    if (given === undefined || !tokensEqual(given, token)) {
      res.status(401).json({ msg: 'token missing or wrong' });
      return;
    }
    next();
  };
}

/** The `POST /` command route, after `requireToken`. */
export function createControlRouter(target: CommandTarget, requireToken: RequestHandler, logger: Logger): Router {
  const router = Router();
  // The token is checked before the body is read: anonymous clients make us parse nothing.
  router.post('/', requireToken, express.json({ limit: '64kb' }), (req: Request, res: Response, next: NextFunction) => {
    const verb = (req.body as { cmd?: unknown } | undefined)?.cmd;
    if (typeof verb === 'string' && !isCommandVerb(verb)) {
      res.status(406).json({ msg: 'Invalid Command' });
      return;
    }
    let cmd: WorkerCmd;
    try {
      cmd = parseWorkerCmd(req.body);
    } catch {
      res.status(400).json({ msg: 'Invalid request' });
      return;
    }
    logger.info(`received command ${cmd.cmd} ${cmd.mirrorId}`);
    if (!cmd.mirrorId) {
      if (cmd.cmd !== 'reload') {
        res.status(406).json({ msg: 'Invalid Command' });
        return;
      }
      target.reload().then(() => res.json({ msg: 'OK' }), next);
      return;
    }
    if (!target.hasJob(cmd.mirrorId)) {
      res.status(404).json({ msg: `Mirror ${cmd.mirrorId} not found` });
      return;
    }
    if (cmd.cmd === 'reload') {
      res.status(406).json({ msg: 'Invalid Command' });
      return;
    }
    target.jobCommand(cmd).then(() => res.json({ msg: 'OK' }), next);
  });
  return router;
}

/** Builds the control server's express app: the command route, any route modules, a JSON 404, the error handler. */
export function createControlApp(target: CommandTarget, token: string, logger: Logger, options: ControlAppOptions = {}): Express {
  const app = express();
  app.disable('x-powered-by');
  const requireToken = requireBearer(token);
  app.use(createControlRouter(target, requireToken, logger));
  for (const mod of options.routes ?? []) {
    if (!options.services) throw new Error(`route module ${mod.name} needs the worker's services`);
    const router = Router();
    mod.mount(router, { ...options.services, logger, requireToken });
    app.use(router);
    logger.debug(`control server: mounted ${mod.name}`);
  }
  app.use((req: Request, res: Response) => {
    res.status(404).json({ error: `no route ${req.method} ${req.path}`, code: 'not_found' });
  });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = (err as { status?: number }).status;
    if (status && status >= 400 && status < 500) {
      res.status(400).json({ msg: 'Invalid request' });
      return;
    }
    logger.error(`control server: ${errorMessage(err)}`);
    res.status(500).json({ msg: errorMessage(err) });
  });
  return app;
}
