/**
 * Who may read job logs through the manager: logs can hold upstream URLs
 * and internal paths, so they need an admin token or one of `[auth]
 * log_tokens`, unless `[auth] public_logs = true`. With no token configured
 * at all the manager is open, as tunasync's (and the daemon warns).
 */
import { ForbiddenError, UnauthorizedError, parseBearer, tokensEqual, type ManagerConfig } from '@tunasync/core';
import type { RequestHandler } from 'express';
import type { Authenticator } from '../auth.js';

/** Middleware: 401 without a token, 403 with one that may not read logs. */
export function requireLogReader(config: ManagerConfig, auth: Authenticator): RequestHandler {
  const logTokens = config.auth.logTokens ?? [];
  const open = config.auth.publicLogs === true || (!auth.enabled && logTokens.length === 0);
  return (req, _res, next) => {
    if (open) return next();
    const token = parseBearer(req.headers.authorization);
    if (token === undefined || token === '') throw new UnauthorizedError('missing bearer token');
    let reader = false;
    for (const t of logTokens) reader = tokensEqual(token, t) || reader;
    const who = auth.identify(token);
    if (reader || who.kind === 'admin') return next();
    if (who.kind === 'anonymous') throw new UnauthorizedError('invalid token');
    throw new ForbiddenError('reading logs takes an admin token or one of [auth] log_tokens');
  };
}
