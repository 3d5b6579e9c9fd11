/**
 * `GET /mirrorz.json` (read scope, as `/jobs`): the site in mirrorz's data
 * format v1.7, built from `[mirrorz.site]`, `[mirrorz.mirrors.NAME]` and the
 * job statuses. Off unless `[mirrorz.site]` is set: then a 404
 * `mirrorz_not_configured` saying what to add. Sent with
 * `Access-Control-Allow-Origin: *` so mirrorz's front end can read it.
 */
import { TunasyncError } from '@tunasync/core';
import type { Request, Response } from 'express';
import type { ManagerRouteContext, ManagerRouteModule } from '../route-module.js';
import { buildMirrorz } from './mirrorz.js';

/** The mirrorz.json route module. */
export function mirrorzRoutes(): ManagerRouteModule {
  return {
    name: 'mirrorz',
    mount(router, ctx: ManagerRouteContext) {
      router.get('/mirrorz.json', ctx.auth.read, async (_req: Request, res: Response) => {
        const site = ctx.config.mirrorz?.site;
        if (!site) {
          throw new TunasyncError(
            'NOT_FOUND',
            404,
            'mirrorz.json is off: add a [mirrorz.site] section with at least url and abbr to manager.conf ' +
              '(and [mirrorz.mirrors.NAME] cname/desc/url/help where the defaults do not fit)',
            { wireCode: 'mirrorz_not_configured' },
          );
        }
        const doc = buildMirrorz({ mirrors: ctx.config.mirrorz?.mirrors ?? {}, site }, await ctx.store.listAllMirrorStatus());
        res.setHeader('Access-Control-Allow-Origin', '*');
        res.setHeader('Cache-Control', 'no-cache');
        res.json(doc);
      });
    },
  };
}
