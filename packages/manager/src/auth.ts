/**
 * Bearer-token authentication (architecture.md, Security). tunasync has none
 * (tunasync#17); ours is off when no token is configured, so a tunasync site
 * keeps working unchanged.
 *
 * - worker routes (register, status, schedules) take that worker's token:
 *   `[auth] worker_tokens[id]`, else the shared `worker_token`;
 * - `/cmd`, the DELETE routes and set-size take an admin token;
 * - an admin token is accepted everywhere;
 * - reads are public unless `public_read = false`, then any valid token.
 *
 * Tokens are compared in constant time and never logged. Routes check them
 * with the middlewares below, mounted before the body parser, so an
 * anonymous client cannot make the manager parse a body.
 */
import { ForbiddenError, UnauthorizedError, parseBearer, tokensEqual, type ManagerConfig } from '@tunasync/core';
import type { Request, RequestHandler } from 'express';

/** core's constant-time compare, re-exported (part of this package's API since 0.1). */
export { tokensEqual };

/** Who a request's token says it is. */
export type Principal = { kind: 'anonymous' } | { kind: 'admin' } | { kind: 'worker'; ids: ReadonlySet<string>; shared: boolean };

/** Reads `Authorization: Bearer <token>` (core's parseBearer); undefined when absent or another scheme. */
export function bearerToken(req: Request): string | undefined {
  return parseBearer(req.headers.authorization);
}

function param(req: Request, name: string): string {
  const v = req.params[name];
  return typeof v === 'string' ? v : '';
}

/** Decides what a request may do, from the `[auth]` section. */
export class Authenticator {
  private readonly auth: ManagerConfig['auth'];
  /** True when any token is configured; false leaves the API open, as tunasync's. */
  readonly enabled: boolean;

  constructor(auth: ManagerConfig['auth']) {
    this.auth = auth;
    this.enabled = auth.workerToken !== '' || Object.keys(auth.workerTokens).length > 0 || auth.adminTokens.length > 0;
  }

  /** Identifies the bearer of `token` (checks every configured token, without early exit). */
  identify(token: string | undefined): Principal {
    if (token === undefined || token === '') return { kind: 'anonymous' };
    let admin = false;
    for (const t of this.auth.adminTokens) admin = tokensEqual(token, t) || admin;
    const ids = new Set<string>();
    for (const [id, t] of Object.entries(this.auth.workerTokens)) if (tokensEqual(token, t)) ids.add(id);
    const shared = this.auth.workerToken !== '' && tokensEqual(token, this.auth.workerToken);
    if (admin) return { kind: 'admin' };
    if (ids.size > 0 || shared) return { kind: 'worker', ids, shared };
    return { kind: 'anonymous' };
  }

  /** The token the manager sends to `workerId` with a command: its own, else the shared one. */
  workerToken(workerId: string): string | undefined {
    const own = Object.hasOwn(this.auth.workerTokens, workerId) ? this.auth.workerTokens[workerId] : undefined;
    return own || this.auth.workerToken || undefined;
  }

  private principal(req: Request): Principal {
    const token = bearerToken(req);
    const p = this.identify(token);
    if (p.kind === 'anonymous') {
      throw new UnauthorizedError(token === undefined ? 'missing bearer token' : 'invalid token');
    }
    return p;
  }

  /** Requires any valid token (when authentication is on); the route checks the rest. */
  requireAny(req: Request): void {
    if (this.enabled) this.principal(req);
  }

  /** Allows a worker route for `workerId`: that worker's token, or an admin's. */
  requireWorker(req: Request, workerId: string): void {
    if (!this.enabled) return;
    const p = this.principal(req);
    if (p.kind === 'admin') return;
    if (p.kind === 'worker') {
      if (p.ids.has(workerId)) return;
      // The shared token stands for every worker that has no token of its own.
      if (p.shared && !Object.hasOwn(this.auth.workerTokens, workerId)) return;
    }
    throw new ForbiddenError(`token may not act for worker ${workerId}`);
  }

  /** Allows an admin route (`/cmd`, DELETE, set-size). */
  requireAdmin(req: Request): void {
    if (!this.enabled) return;
    if (this.principal(req).kind !== 'admin') throw new ForbiddenError('an admin token is required');
  }

  /** Allows a read: always when `public_read`, else with any valid token. */
  requireRead(req: Request): void {
    if (!this.enabled || this.auth.publicRead) return;
    this.principal(req);
  }

  /** Middleware: requireAdmin, before anything else of the route runs. */
  readonly admin: RequestHandler = (req, _res, next) => {
    this.requireAdmin(req);
    next();
  };

  /** Middleware: requireAny (the route decides the rest once it has read the body). */
  readonly any: RequestHandler = (req, _res, next) => {
    this.requireAny(req);
    next();
  };

  /** Middleware: requireRead. */
  readonly read: RequestHandler = (req, _res, next) => {
    this.requireRead(req);
    next();
  };

  /** Middleware: requireWorker for the worker id in route parameter `name` (default `id`). */
  worker(name = 'id'): RequestHandler {
    return (req, _res, next) => {
      this.requireWorker(req, param(req, name));
      next();
    };
  }
}
