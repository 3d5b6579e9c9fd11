/**
 * The worker's control server: `POST /` with a WorkerCmd from the manager.
 * Replies as tunasync does: {"msg":"OK"}, 400 Invalid request, 404 Mirror
 * <id> not found, 406 Invalid Command; with a `[manager] token`, a command
 * without `Authorization: Bearer <token>` gets 401.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { errorMessage, isCommandVerb, parseWorkerCmd, type Logger, type WorkerCmd } from '@tunasync/core';

/** What the control server asks of the worker. */
export interface CommandTarget {
  /** True when a job of that name exists. */
  hasJob(name: string): boolean;
  /** Applies a job command (start, stop, disable, restart, ping). */
  jobCommand(cmd: WorkerCmd): Promise<void>;
  /** Reloads the worker's config. */
  reload(): Promise<void>;
}

function sameToken(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** Builds the control server's express app. */
export function createControlApp(target: CommandTarget, token: string, logger: Logger): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '64kb' }));
  app.post('/', (req: Request, res: Response, next: NextFunction) => {
    if (token) {
      const auth = req.get('authorization') ?? '';
      const m = /^Bearer (.+)$/.exec(auth);
      if (!m || !sameToken(m[1]!, token)) {
        res.status(401).json({ msg: 'token missing or wrong' });
        return;
      }
    }
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
