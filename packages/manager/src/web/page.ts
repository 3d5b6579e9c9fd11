/**
 * The status page's HTML: the whole table rendered on the server (readable
 * without JavaScript, by curl and by search engines) in the view the URL
 * asks for, then our module script, which takes over.
 */
import type { MaintenanceState } from '@tunasync/core';
import type { WebAssets } from './assets.js';
import type { ViewModule, ViewRow, ViewState } from './view.js';

/** What one page shows. */
export interface PageInput {
  title: string;
  basePath: string;
  lang: 'en' | 'zh';
  state: ViewState;
  rows: ViewRow[];
  workers: { id: string; seen: number }[];
  maintenance?: MaintenanceState;
  /** Unix seconds. */
  now: number;
}

/** Picks the page language: the `tunasync_lang` cookie, else Accept-Language, else English. */
export function pickLanguage(cookie: string | undefined, acceptLanguage: string | undefined): 'en' | 'zh' {
  const m = /(?:^|;\s*)tunasync_lang=(en|zh)(?:;|$)/.exec(cookie ?? '');
  if (m) return m[1] as 'en' | 'zh';
  const ranked = (acceptLanguage ?? '')
    .split(',')
    .map((part) => {
      const [tag, ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([\d.]+)/.exec(p)).find(Boolean);
      return { tag: (tag ?? '').toLowerCase(), q: q ? Number(q[1]) : 1 };
    })
    .filter((x) => x.tag && x.q > 0)
    .sort((a, b) => b.q - a.q);
  for (const { tag } of ranked) {
    if (tag.startsWith('zh')) return 'zh';
    if (tag.startsWith('en')) return 'en';
  }
  return 'en';
}

/** Where the rows go (no escaped text can contain a NUL). */
const SPLIT = '\u0000rows\u0000';

/** Where the page's data goes. */
const DATA = '\u0000data\u0000';

const i18nBlocks = new WeakMap<WebAssets, string>();
/** The dictionaries as a JSON block, made once per set of assets. */
function i18nBlock(assets: WebAssets): string {
  let block = i18nBlocks.get(assets);
  if (block === undefined) i18nBlocks.set(assets, (block = jsonBlock(assets.i18n)));
  return block;
}

/** JSON safe inside a `<script type="application/json">` block. */
function jsonBlock(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

/** The page in three parts, so the head can go out before the rows are rendered. */
export interface PageParts {
  /** Everything up to `<tbody>`. */
  head: string;
  /** How many rows the table shows. */
  shown: number;
  /** The HTML of shown rows `from` to `to`. */
  rows(from: number, to: number): string;
  /** `</tbody>` to the end (rendered when called: it carries the page's data). */
  tail(): string;
}

/** Renders the whole page as one string. */
export function renderPage(view: ViewModule, assets: WebAssets, p: PageInput): string {
  const parts = renderPageParts(view, assets, p);
  return parts.head + parts.rows(0, Math.max(1, parts.shown)) + parts.tail();
}

/** Renders the page in parts (see PageParts). */
export function renderPageParts(view: ViewModule, assets: WebAssets, p: PageInput): PageParts {
  const t = assets.i18n[p.lang]!;
  const e = view.esc;
  const base = e(p.basePath);
  const v = (name: string) => assets.files.get(name)!.hash;
  const shown = view.sortRows(view.filterRows(p.rows, p.state), p.state.sort);
  const maintenanceData = p.maintenance
    ? { active: true, message: p.maintenance.message, ...(p.maintenance.until ? { until: p.maintenance.until.toISOString() } : {}) }
    : undefined;
  const maintenance = view.maintenanceHtml(maintenanceData, t);
  const shared = view.sharedNames(p.rows);
  const label = (key: string) => `<span data-i18n="${key}">${e(t[key] ?? key)}</span>`;
  const page = `<!doctype html>
<html lang="${p.lang === 'zh' ? 'zh-CN' : 'en'}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${e(p.title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${base}/static/style.css?v=${v('style.css')}">
<script type="module" src="${base}/static/app.js?v=${v('app.js')}"></script>
</head>
<body data-base="${base}" data-lang="${p.lang}" data-now="${p.now}" data-view="${v('view.js')}">
<header class="top">
<h1>${e(p.title)}</h1>
<button type="button" id="lang" lang="${p.lang === 'zh' ? 'en' : 'zh-CN'}" aria-label="${e(t.switch_lang_label!)}" hidden>${e(t.switch_lang!)}</button>
</header>
<div id="maintenance" class="banner" role="status"${maintenance ? '' : ' hidden'}>${maintenance}</div>
<nav id="counts" class="counts" aria-label="${e(t.counts!)}">${view.countsHtml(p.rows, p.state, t)}</nav>
<p class="meta"><span id="workers">${view.workersHtml(p.workers, p.now, t)}</span> <span id="live" aria-live="polite"></span></p>
<form id="filter" class="filter" role="search" method="get" action="">
<label for="q">${label('filter')}</label>
<input id="q" name="q" type="search" value="${e(p.state.q)}" placeholder="${e(t.filter_placeholder!)}" autocomplete="off">
${p.state.status ? `<input type="hidden" name="status" value="${e(p.state.status)}">` : ''}${p.state.sort && p.state.sort !== 'name' ? `<input type="hidden" name="sort" value="${e(p.state.sort)}">` : ''}
</form>
<div class="wrap">
<table id="mirrors">
<caption>${label('table_caption')} <span id="shown">(${shown.length}/${p.rows.length})</span></caption>
<thead>${view.headHtml(p.state, t)}</thead>
<tbody>${SPLIT}</tbody>
</table>
</div>
<section id="detail" class="detail" hidden aria-labelledby="detail-title" tabindex="-1">
<header><h2 id="detail-title"></h2><button type="button" id="detail-close">${label('close')}</button></header>
<h3>${label('runs')}</h3>
<div id="detail-runs"></div>
<div id="detail-log" hidden><h3>${label('log')}</h3><pre id="detail-log-text"></pre><a id="detail-log-follow" href="#">${label('follow_log')}</a></div>
</section>
<footer class="foot">${label('footer')}</footer>
<script type="application/json" id="i18n">${i18nBlock(assets)}</script>
<script type="application/json" id="page-data">${DATA}</script>
</body>
</html>
`;
  const at = page.indexOf(SPLIT);
  return {
    head: page.slice(0, at),
    shown: shown.length,
    rows: (from, to) => view.bodyHtml(shown, t, p.now, shared, from, to),
    tail: () =>
      page
        .slice(at + SPLIT.length)
        .replace(
          DATA,
          jsonBlock({
            rows: p.rows.map((r) => [r.name, r.worker, r.master ? 1 : 0, r.status, r.last, r.started, r.ended, r.next, r.upstream, r.size]),
            workers: p.workers,
            maintenance: maintenanceData ?? null,
          }).replace(/\$/g, '$$$$'),
        ),
  };
}
