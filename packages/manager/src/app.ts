/**
 * createManagerApp: the manager's express app, with its store, logger and
 * clock injected. Listening, TLS and signals are startManager's business.
 */
import {
  createHttpClient,
  errorMessage,
  isTunasyncError,
  systemClock,
  type Clock,
  type JobStore,
  type Logger,
  type ManagerConfig,
} from '@tunasync/core';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { Authenticator } from './auth.js';
import { mountRoutes } from './routes.js';

/** Largest request body accepted (1 MiB); larger ones get 413. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** Default timeout of a command forwarded to a worker, in ms. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 5_000;

/** Options of createManagerApp. */
export interface ManagerAppOptions {
  /** The manager's settings (`[auth]`, `[files] ca_cert` are used here). */
  config: ManagerConfig;
  /** Where workers and job statuses live. */
  store: JobStore;
  /** Where request problems and status changes are logged. */
  logger: Logger;
  /** The time source for every timestamp the manager sets (default: system clock). */
  clock?: Clock;
  /** Timeout of a command forwarded to a worker (default 5000 ms). */
  commandTimeoutMs?: number;
  /** IANA zone for the text times of `/jobs` (default: the process's zone). */
  timeZone?: string;
}

interface BodyParserError {
  type?: string;
  status?: number;
  message?: string;
}

function asBodyParserError(err: unknown): BodyParserError | undefined {
  if (err && typeof err === 'object' && typeof (err as BodyParserError).type === 'string') return err as BodyParserError;
  return undefined;
}

/** Maps anything a handler threw to `{"error": "..."}` with the right status. */
function errorHandler(logger: Logger) {
  return (err: unknown, req: Request, res: Response, next: NextFunction): void => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const where = { method: req.method, path: req.path, ip: req.ip };
    let status: number;
    let message: string;
    const bp = asBodyParserError(err);
    if (isTunasyncError(err)) {
      status = err.httpStatus;
      message = err.message;
    } else if (bp?.type === 'entity.too.large') {
      status = 413;
      message = `request body larger than ${MAX_BODY_BYTES} bytes`;
    } else if (bp?.type === 'entity.parse.failed') {
      status = 400;
      message = `malformed JSON body: ${bp.message ?? 'cannot parse'}`;
    } else if (bp && typeof bp.status === 'number' && bp.status >= 400 && bp.status < 500) {
      status = bp.status;
      message = bp.message ?? 'bad request';
    } else {
      status = 500;
      message = `internal error: ${errorMessage(err)}`;
    }
    if (status >= 500) {
      logger.error(`${req.method} ${req.path}: ${message}`, {
        ...where,
        stack: err instanceof Error ? err.stack : undefined,
      });
    } else if (status === 401 || status === 403) {
      logger.warn(`${req.method} ${req.path} refused: ${message}`, where);
    } else {
      logger.debug(`${req.method} ${req.path} answered ${status}: ${message}`, where);
    }
    res.status(status).json({ error: message });
  };
}

/**
 * Builds the manager's express app: every route of wire-protocol.md, bearer
 * authentication from `[auth]`, 1 MiB JSON bodies, and one error handler
 * that turns TunasyncErrors into their HTTP status and anything else into a
 * logged 500 (the daemon keeps serving).
 */
export function createManagerApp(options: ManagerAppOptions): Express {
  const { config, store, logger } = options;
  const clock = options.clock ?? systemClock;
  const auth = new Authenticator(config.auth);
  const http = createHttpClient({
    ...(config.files.caCert ? { caFile: config.files.caCert } : {}),
    timeoutMs: options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    retries: 0,
  });

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // Every body is JSON whatever its Content-Type (Go's PostJSON always sends
  // one, curl users often do not).
  app.use(express.json({ limit: MAX_BODY_BYTES, type: () => true, strict: true }));

  const router = express.Router();
  mountRoutes(router, {
    store,
    logger,
    clock,
    auth,
    ...(options.timeZone !== undefined ? { timeZone: options.timeZone } : {}),
    command: {
      store,
      logger,
      http,
      tokenFor: (w) => auth.workerToken(w.id) ?? (w.token || undefined),
    },
  });
  app.use(router);
  app.use((req: Request, res: Response) => {
    res.status(404).json({ error: `no route for ${req.method} ${req.path}` });
  });
  app.use(errorHandler(logger));
  return app;
}
