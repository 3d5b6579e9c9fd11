/**
 * The seam where features beyond tunasync's API plug into the manager: a
 * route module gets the express Router and what the manager's own routes
 * use, and its routes mount after tunasync's and before the 404. The status
 * page, metrics, history and logs are such modules.
 */
import type { Clock, JobStore, Logger, ManagerConfig } from '@tunasync/core';
import type { RequestHandler, Router } from 'express';
import type { Authenticator } from './auth.js';

/** What a route module gets to work with. */
export interface ManagerRouteContext {
  /** The manager's settings. */
  config: ManagerConfig;
  /** Where workers and job statuses live. */
  store: JobStore;
  /** The manager's logger (values are escaped by the formatter). */
  logger: Logger;
  /** The time source for every timestamp the manager sets. */
  clock: Clock;
  /** Token checks: `auth.admin`, `auth.any`, `auth.read`, `auth.worker('id')` middlewares, or `requireRead(req)` etc. */
  auth: Authenticator;
  /** The JSON body parser (1 MiB); mount it after the route's token check, never before. */
  jsonBody: RequestHandler;
  /** IANA zone for text times; the process's zone when undefined. */
  timeZone?: string;
  /** Aborted when the manager begins to stop: long-lived responses (event streams) end then. */
  signal?: AbortSignal;
}

/**
 * A set of routes mounted on the manager. Throwing a TunasyncError (or
 * passing one to `next`) answers `{"error": "...", "code": "..."}` with its
 * status, as the built-in routes do.
 */
export interface ManagerRouteModule {
  /** A short name, for logs. */
  name: string;
  /** Adds the module's routes to `router`. Called once, when the app is built. */
  mount(router: Router, ctx: ManagerRouteContext): void;
}
