/**
 * What every request passes through besides its route: the path check, the
 * JSON body parser (mounted per route, after authentication), the 404 and
 * the error handler that answers `{"error": "...", "code": "..."}`.
 */
import { ValidationError, errorMessage, isTunasyncError, type Logger } from '@tunasync/core';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';

/** Largest request body accepted (1 MiB); larger ones get 413. */
export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * The JSON body parser: at most 1 MiB, every body read as JSON whatever its
 * Content-Type (Go's PostJSON always sends one, curl users often do not), and
 * no Content-Encoding (no worker or tunasynctl compresses; a compressed body
 * is 415). Routes mount it after their token check.
 */
export function jsonBodyParser(): RequestHandler {
  return express.json({ limit: MAX_BODY_BYTES, type: () => true, strict: true, inflate: false });
}

/**
 * Refuses a path whose percent-encoding cannot be decoded (`%E0%A4%A`, a lone
 * surrogate `%ED%A0%80`) with 400 `malformed_path`, before routing and
 * authentication: the router would otherwise throw while matching.
 */
export function checkPathEncoding(req: Request, _res: Response, next: NextFunction): void {
  if (req.path.includes('%')) {
    for (const segment of req.path.split('/')) {
      try {
        decodeURIComponent(segment);
      } catch {
        throw new ValidationError('malformed percent-encoding in the request path', undefined, 'malformed_path');
      }
    }
  }
  next();
}

/** The 404 for a path no route or module answers. */
export function noRoute(req: Request, res: Response): void {
  res.status(404).json({ error: `no route for ${req.method} ${req.path}`, code: 'no_route' });
}

interface HttpLikeError {
  type?: string;
  status?: number;
  message?: string;
  encoding?: string;
}

function asHttpError(err: unknown): HttpLikeError | undefined {
  if (err && typeof err === 'object' && typeof (err as HttpLikeError).status === 'number') return err as HttpLikeError;
  return undefined;
}

/** Status, message and wire code for anything a handler or middleware threw. */
export function describeError(err: unknown): { status: number; message: string; code: string } {
  if (isTunasyncError(err)) return { status: err.httpStatus, message: err.message, code: err.wireCode };
  const h = asHttpError(err);
  switch (h?.type) {
    case 'entity.too.large':
      return { status: 413, message: `request body larger than ${MAX_BODY_BYTES} bytes`, code: 'payload_too_large' };
    case 'entity.parse.failed':
      return { status: 400, message: `malformed JSON body: ${h.message ?? 'cannot parse'}`, code: 'malformed_json' };
    case 'encoding.unsupported':
      return {
        status: 415,
        message: `content encoding ${JSON.stringify(h.encoding ?? 'unknown')} is not supported: send the body uncompressed`,
        code: 'unsupported_encoding',
      };
    case 'charset.unsupported':
      return { status: 415, message: h.message ?? 'unsupported charset', code: 'unsupported_encoding' };
  }
  if (h && h.status !== undefined && h.status >= 400 && h.status < 500) {
    return { status: h.status, message: h.message ?? 'bad request', code: 'bad_request' };
  }
  return { status: 500, message: `internal error: ${errorMessage(err)}`, code: 'internal' };
}

/**
 * Maps anything thrown to its status and `{"error": "...", "code": "..."}`:
 * 5xx are logged as errors (unexpected ones with the stack), 401/403 as warnings, other 4xx at
 * debug (bad requests cannot fill the error log). The daemon keeps serving.
 */
export function errorHandler(logger: Logger) {
  return (err: unknown, req: Request, res: Response, next: NextFunction): void => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const where = { method: req.method, path: req.path, ip: req.ip };
    const { status, message, code } = describeError(err);
    if (status >= 500) {
      // A TunasyncError is an expected failure (a worker down): no stack.
      const stack = !isTunasyncError(err) && err instanceof Error ? err.stack : undefined;
      logger.error(`${req.method} ${req.path}: ${message}`, stack ? { ...where, stack } : where);
    } else if (status === 401 || status === 403) {
      logger.warn(`${req.method} ${req.path} refused: ${message}`, where);
    } else {
      logger.debug(`${req.method} ${req.path} answered ${status}: ${message}`, where);
    }
    res.status(status).json({ error: message, code });
  };
}
