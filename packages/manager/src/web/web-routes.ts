/**
 * The status page (issue 17): `GET /` and `/index.html` (read scope, as
 * `/jobs`) and its files under `/static/` (public: no data in them). On
 * unless manager.conf `[web] enable = false`; `[web] title`; `[web]
 * base_path` is the prefix a reverse proxy serves the manager under (the
 * page's links and requests carry it; the routes stay at the root).
 *
 * The HTML carries a Content-Security-Policy allowing only our own files
 * (no inline script, no other origin), so an escaped-by-mistake mirror name
 * still could not run.
 */
import { DEFAULT_WEB_TITLE, isZeroTime, type MaintenanceStore, type MirrorStatus, type WebConfig } from '@tunasync/core';
import type { Request, Response } from 'express';
import type { ManagerRouteContext, ManagerRouteModule } from '../route-module.js';
import { loadWebAssets, type WebAssets } from './assets.js';
import { pickLanguage, renderPageParts } from './page.js';
import { loadView, type ViewRow, type ViewState } from './view.js';

/** The page's Content-Security-Policy. */
export const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** Rows rendered per write of the page. */
const ROWS_PER_WRITE = 250;

/** Resolves when `res` can take more (or is gone). */
function drained(res: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

const seconds = (d: Date): number => (isZeroTime(d) ? 0 : Math.max(0, Math.floor(d.getTime() / 1000)));

/** A table row of a job status (the fields of its `/jobs` entry, without formatting text times). */
export function rowOf(s: MirrorStatus): ViewRow {
  return {
    name: s.name,
    worker: s.worker,
    master: s.isMaster,
    status: s.status,
    last: seconds(s.lastUpdate),
    started: seconds(s.lastStarted),
    ended: seconds(s.lastEnded),
    next: seconds(s.nextSchedule),
    upstream: s.upstream,
    size: s.size,
  };
}

function one(req: Request, name: string, max: number): string {
  const v = req.query[name];
  return typeof v === 'string' ? v.slice(0, max) : '';
}

/** The view a URL asks for; unknown values fall back to the default view (a page never answers 400). */
export function viewState(req: Request, statuses: string[]): ViewState {
  const status = one(req, 'status', 32);
  const sort = one(req, 'sort', 32);
  return {
    q: one(req, 'q', 200),
    status: statuses.includes(status) ? status : '',
    sort: /^-?[a-z]{1,16}$/.test(sort) ? sort : 'name',
  };
}

/** `[web]` with defaults. */
export function webSettings(ctx: ManagerRouteContext): WebConfig {
  return { enable: true, title: DEFAULT_WEB_TITLE, basePath: '', ...ctx.config.web };
}

const hasMaintenance = (s: object): s is MaintenanceStore => typeof (s as Partial<MaintenanceStore>).getMaintenance === 'function';

/** The status page route module. */
export function webRoutes(options: { assets?: WebAssets } = {}): ManagerRouteModule {
  return {
    name: 'web',
    mount(router, ctx: ManagerRouteContext) {
      const settings = webSettings(ctx);
      if (!settings.enable) return;
      const assets = options.assets ?? loadWebAssets();
      const { store, auth, clock } = ctx;

      // The rows are read again only when the store changed (as the /jobs answer is cached).
      let cached: { generation: string; rows: ViewRow[] } | undefined;
      const allRows = async (): Promise<ViewRow[]> => {
        const generation = store.generation ? await store.generation() : undefined;
        if (generation !== undefined && cached?.generation === generation) return cached.rows;
        const rows = (await store.listAllMirrorStatus()).map(rowOf);
        cached = generation === undefined ? undefined : { generation, rows };
        return rows;
      };

      const page = async (req: Request, res: Response) => {
        const view = await loadView();
        const [rows, workers, maintenance] = await Promise.all([
          allRows(),
          store.listWorkers(),
          hasMaintenance(store) ? store.getMaintenance().catch(() => undefined) : Promise.resolve(undefined),
        ]);
        const parts = renderPageParts(view, assets, {
          title: settings.title,
          basePath: settings.basePath,
          lang: pickLanguage(req.get('cookie'), req.get('accept-language')),
          state: viewState(req, view.STATUSES),
          rows,
          workers: workers.map((w) => ({ id: w.id, seen: seconds(w.lastOnline) })),
          ...(maintenance ? { maintenance } : {}),
          now: Math.floor(clock.now().getTime() / 1000),
        });
        res.setHeader('Content-Security-Policy', PAGE_CSP);
        res.setHeader('X-Content-Type-Options', 'nosniff');
        res.setHeader('Referrer-Policy', 'no-referrer');
        res.setHeader('Cache-Control', 'no-cache');
        res.setHeader('Vary', 'Accept-Language, Cookie');
        res.type('html');
        // The head goes out at once (the browser fetches the style and script meanwhile), then the rows in slices.
        res.write(parts.head);
        for (let from = 0; from < Math.max(1, parts.shown); from += ROWS_PER_WRITE) {
          // Yield between slices: the head is sent at once (node sends a response's first write on the next
          // tick), and other requests (reports) are not held up behind a long page.
          await new Promise((resolve) => setImmediate(resolve));
          if (res.destroyed) return;
          if (!res.write(parts.rows(from, from + ROWS_PER_WRITE))) await drained(res);
        }
        res.end(parts.tail());
      };
      router.get('/', auth.read, page);
      router.get('/index.html', auth.read, page);

      router.get('/static/:file', (req: Request, res: Response, next) => {
        const asset = assets.files.get(String(req.params.file));
        if (!asset) return next();
        const pinned = req.query.v === asset.hash;
        res.setHeader('Content-Type', asset.type);
        res.setHeader('X-Content-Type-Options', 'nosniff');
        res.setHeader('Cache-Control', pinned ? 'public, max-age=31536000, immutable' : 'no-cache');
        res.setHeader('ETag', `"${asset.hash}"`);
        res.setHeader('Vary', 'Accept-Encoding');
        if (req.get('if-none-match') === `"${asset.hash}"`) return void res.status(304).end();
        if (/\bgzip\b/.test(req.get('accept-encoding') ?? '')) {
          res.setHeader('Content-Encoding', 'gzip');
          return void res.send(asset.gzip);
        }
        res.send(asset.body);
      });
    },
  };
}
