/**
 * The status page over plain HTTP (issue 17), as curl and search engines see
 * it: the whole table in the first response, everything user-supplied
 * escaped, a CSP without inline scripts, the view from the URL, the language
 * from Accept-Language or the cookie, `[web]` settings, and the assets'
 * size budget (60 KB gzipped together).
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from '@jest/globals';
import { ASSET_NAMES, PAGE_CSP, WEB_DIR, loadWebAssets, pickLanguage } from '@tunasync/manager';
import { startTestManager, tempDir, testManagerConfig, type TestManager } from '@tunasync/testkit';
import type { ManagerConfig } from '@tunasync/core';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

const EVIL = '<img src=x onerror=alert(1)>';

async function manager(parts: Partial<ManagerConfig> = {}, seed = true): Promise<TestManager> {
  const dir = tempDir('web-');
  cleanups.push(() => dir.cleanup());
  const m = await startTestManager({ config: { ...testManagerConfig(`${dir.dir}/m.db`), ...parts } });
  cleanups.push(() => m.close());
  if (!seed) return m;
  await m.call('POST', '/workers', { id: 'w1', url: 'http://127.0.0.1:1/' });
  const report = (name: string, status: string, size: string, upstream = `rsync://up/${name}/`) =>
    m.call('POST', `/workers/w1/jobs/${encodeURIComponent(name)}`, { name, worker: 'w1', is_master: true, status, upstream, size });
  expect((await report('debian', 'success', '1.2T')).status).toBe(200);
  expect((await report('arch', 'failed', '80G')).status).toBe(200);
  expect((await report('alpine', 'syncing', '900M')).status).toBe(200);
  expect((await report(EVIL, 'success', '1K', `"><script>alert(2)</script>`)).status).toBe(200);
  return m;
}

async function get(m: TestManager, path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${m.url}${path}`, { headers });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

const rowNames = (html: string) => [...html.matchAll(/<tr class="st-[^"]+" data-name="([^"]*)"/g)].map((x) => x[1]);

describe('GET / (server-rendered)', () => {
  it('has every mirror in the first response, escaped, under a CSP that allows no inline script', async () => {
    const m = await manager();
    const page = await get(m, '/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toBe(PAGE_CSP);
    expect(PAGE_CSP).toMatch(/script-src 'self';/);
    expect(PAGE_CSP).not.toContain('unsafe-inline');
    expect(rowNames(page.text)).toEqual(['&lt;img src=x onerror=alert(1)&gt;', 'alpine', 'arch', 'debian']);
    expect(page.text).not.toContain(EVIL);
    expect(page.text).not.toContain('<script>alert(2)');
    expect(page.text).toContain('&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;');
    // Every script is ours by URL, or a data block the browser never runs.
    for (const tag of page.text.match(/<script[^>]*>/g)!) expect(tag).toMatch(/type="module" src="\/static\/app\.js\?v=[0-9a-f]+"|type="application\/json"/);
    expect(page.text).toMatch(/<tr class="st-failed" data-name="arch"[^]*?<span class="badge b-failed">failed<\/span>/);
    expect(page.text).toMatch(/<tr class="st-syncing" data-name="alpine"/);
    expect((await get(m, '/index.html')).text).toContain('<table id="mirrors">');
  });

  it('renders the view the URL asks for (filter, status, sort), so a shared link works without JavaScript', async () => {
    const m = await manager();
    expect(rowNames((await get(m, '/?sort=-size')).text)).toEqual(['debian', 'arch', 'alpine', '&lt;img src=x onerror=alert(1)&gt;']);
    expect(rowNames((await get(m, '/?status=failed')).text)).toEqual(['arch']);
    expect(rowNames((await get(m, '/?q=ALP')).text)).toEqual(['alpine']);
    const odd = await get(m, '/?status=%3Cx%3E&sort=%22%3E&q=%22%3E%3Cb%3E');
    expect(odd.status).toBe(200);
    expect(odd.text).toContain('value="&quot;&gt;&lt;b&gt;"');
    expect(odd.text).not.toContain('"><b>');
  });

  it('speaks Chinese for Accept-Language zh, and the cookie of the language switch wins', async () => {
    const m = await manager();
    expect((await get(m, '/', { 'accept-language': 'zh-CN,zh;q=0.9,en;q=0.8' })).text).toContain('<html lang="zh-CN">');
    expect((await get(m, '/', { 'accept-language': 'zh-CN', cookie: 'tunasync_lang=en' })).text).toContain('<html lang="en">');
    expect(pickLanguage(undefined, 'fr, en;q=0.5, zh;q=0.9')).toBe('zh');
    expect(pickLanguage('a=b; tunasync_lang=zh', 'en')).toBe('zh');
    expect(pickLanguage(undefined, undefined)).toBe('en');
  });

  it('[web] title and base_path; enable = false leaves / to the 404', async () => {
    const m = await manager({ web: { enable: true, title: 'TUNA <mirrors>', basePath: '/status' } });
    const page = (await get(m, '/')).text;
    expect(page).toContain('<title>TUNA &lt;mirrors&gt;</title>');
    expect(page).toContain('src="/status/static/app.js?v=');
    expect(page).toContain('data-base="/status"');
    const off = await manager({ web: { enable: false, title: 'x', basePath: '' } });
    const r = await off.call('GET', '/');
    expect(r.status).toBe(404);
    expect(r.body.code).toBe('no_route');
    expect((await off.call('GET', '/static/app.js')).status).toBe(404);
  });

  it('needs read scope when public_read = false', async () => {
    const m = await manager({ auth: { workerToken: '', workerTokens: {}, adminTokens: ['adm'], publicRead: false } }, false);
    expect((await get(m, '/')).status).toBe(401);
    expect((await get(m, '/', { authorization: 'Bearer adm' })).status).toBe(200);
  });
});

describe('the page files', () => {
  it('are served gzipped with an ETag, cached for good only at their hashed URL', async () => {
    const m = await manager();
    const assets = loadWebAssets();
    const js = assets.files.get('app.js')!;
    const pinned = await fetch(`${m.url}/static/app.js?v=${js.hash}`, { headers: { 'accept-encoding': 'gzip' } });
    expect(pinned.status).toBe(200);
    expect(pinned.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(pinned.headers.get('content-encoding')).toBe('gzip');
    expect(pinned.headers.get('cache-control')).toContain('immutable');
    expect(await pinned.text()).toBe(readFileSync(`${WEB_DIR}app.js`, 'utf8'));
    const plain = await fetch(`${m.url}/static/view.js`);
    expect(plain.headers.get('cache-control')).toBe('no-cache');
    const again = await fetch(`${m.url}/static/view.js`, { headers: { 'if-none-match': plain.headers.get('etag')! } });
    expect(again.status).toBe(304);
    expect((await fetch(`${m.url}/static/..%2fpackage.json`)).status).toBe(404);
  });

  it('are under 60 KB gzipped all together (scripts, styles, dictionaries)', () => {
    let total = gzipSync(readFileSync(`${WEB_DIR}i18n.json`), { level: 9 }).length;
    for (const name of ASSET_NAMES) total += gzipSync(readFileSync(`${WEB_DIR}${name}`), { level: 9 }).length;
    expect(total).toBeLessThan(60 * 1024);
  });
});
