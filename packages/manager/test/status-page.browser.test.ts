/**
 * The status page in a real browser (issue 17): Debian's chromium driven by
 * playwright-core (never a downloaded browser), against a real manager fed
 * by a real worker (a `command` mirror whose run waits while a hold file
 * exists) plus a second worker's reports carrying sizes, a failed mirror and
 * an HTML-looking name. One browser for the whole file.
 */
import { existsSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createTestWorker, startTestManager, tempDir, until, type TestManager, type TempDir } from '@tunasync/testkit';
import type { Worker } from '@tunasync/worker';

/** Chromium flags for these machines (the toolchain notes): headless, nothing reaching the internet. */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const EVIL = '<img src=x onerror=window.__pwned=1>';

let dir: TempDir;
let m: TestManager;
let worker: Worker;
let browser: Browser;
let context: BrowserContext;
const requests: string[] = [];
const hold = () => join(dir.dir, 'hold');

async function jobStatus(name: string): Promise<string | undefined> {
  const jobs = (await m.call('GET', '/jobs')).body as { name: string; status: string }[];
  return jobs.find((j) => j.name === name)?.status;
}

async function startSync(): Promise<void> {
  writeFileSync(hold(), '');
  expect((await m.call('POST', '/cmd', { cmd: 'start', mirror_id: 'debian', worker_id: 'w1' })).status).toBe(200);
  await until(async () => ((await jobStatus('debian')) === 'syncing') || undefined, 'debian syncing in /jobs', 10_000);
}

async function endSync(): Promise<void> {
  rmSync(hold(), { force: true });
  await until(async () => ((await jobStatus('debian')) === 'success') || undefined, 'debian success in /jobs', 10_000);
}

const rowClass = (page: Page, name: string) => page.locator(`tbody tr[data-name="${name}"]`).first().getAttribute('class');

beforeAll(async () => {
  dir = tempDir('status-page-');
  const script = join(dir.dir, 'sync.sh');
  writeFileSync(script, `#!/bin/sh\nwhile [ -f ${JSON.stringify(hold())} ]; do sleep 0.05; done\necho synced\n`);
  chmodSync(script, 0o755);
  m = await startTestManager({ dir: dir.dir });
  worker = await createTestWorker({
    dir: dir.dir,
    apiBase: m.url,
    global: { interval: 1440 },
    mirrors: `[[mirrors]]\nname = "debian"\nprovider = "command"\nupstream = "rsync://upstream.example/debian/"\ncommand = ${JSON.stringify(script)}\n`,
  });
  await worker.start();
  await until(async () => ((await jobStatus('debian')) === 'success') || undefined, 'the first debian run', 15_000);
  // A second worker's reports: sizes to sort by, a failed mirror, an HTML-looking name and upstream.
  expect((await m.call('POST', '/workers', { id: 'w2', url: 'http://127.0.0.1:9/' })).status).toBe(200);
  const report = (name: string, status: string, size: string, upstream = `https://up.example/${name}/`) =>
    m.call('POST', `/workers/w2/jobs/${encodeURIComponent(name)}`, { name, worker: 'w2', is_master: true, status, upstream, size });
  expect((await report('archlinux', 'success', '80G')).status).toBe(200);
  expect((await report('centos', 'failed', '2T')).status).toBe(200);
  expect((await report('alpine', 'success', '500M')).status).toBe(200);
  expect((await report(EVIL, 'success', '1K', EVIL)).status).toBe(200);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  context = await browser.newContext();
  context.on('request', (r) => void requests.push(r.url()));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  rmSync(hold(), { force: true });
  await worker?.halt();
  await m?.close();
  dir?.cleanup();
}, 30_000);

describe('the status page in chromium', () => {
  it('lists every mirror with its badge and tint, counts, workers, and shows an HTML-looking name as text', async () => {
    const page = await context.newPage();
    await page.goto(`${m.url}/`);
    await page.waitForSelector('#lang:not([hidden])');
    const names = await page.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-name')));
    expect(names).toEqual([EVIL, 'alpine', 'archlinux', 'centos', 'debian']);
    expect(await rowClass(page, 'centos')).toBe('st-failed');
    expect(await rowClass(page, 'debian')).toBe('st-success');
    expect(await page.locator('tr[data-name="centos"] .badge').textContent()).toBe('failed');
    expect(await page.locator('#counts a[data-status="failed"] b').textContent()).toBe('1');
    expect(await page.locator('#workers').textContent()).toMatch(/2 online/);
    expect(await page.locator('tbody').textContent()).toContain(EVIL);
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    await page.close();
  });

  it('turns a job that starts syncing blue within 2 s without a reload (SSE)', async () => {
    const page = await context.newPage();
    await page.goto(`${m.url}/`);
    // A locator, not waitForFunction: a string predicate that is not true at once is polled with eval in the page, which its CSP refuses.
    await page.locator('#live', { hasText: 'live' }).waitFor();
    await startSync();
    await page.waitForSelector('tr[data-name="debian"].st-syncing', { timeout: 2000 });
    await endSync();
    await page.waitForSelector('tr[data-name="debian"].st-success', { timeout: 2000 });
    await page.close();
  });

  it('falls back to polling /jobs when /events is blocked, and updates within 12 s', async () => {
    const page = await context.newPage();
    await page.route('**/events', (route) => route.abort());
    await page.goto(`${m.url}/`);
    await page.locator('#live:not(:empty)').waitFor();
    await startSync();
    await page.waitForSelector('tr[data-name="debian"].st-syncing', { timeout: 12_000 });
    await endSync();
    await page.close();
  }, 30_000);

  it('filters by text and status and sorts by size and last success, with the state in a URL that can be shared', async () => {
    const page = await context.newPage();
    await page.goto(`${m.url}/`);
    await page.waitForSelector('#lang:not([hidden])');
    await page.fill('#q', 'arch');
    await until(async () => ((await page.locator('tbody tr').count()) === 1) || undefined, 'one row', 3000);
    expect(page.url()).toContain('q=arch');
    await page.fill('#q', '');
    await page.click('#counts a[data-status="failed"]');
    expect(await page.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-name')))).toEqual(['centos']);
    expect(page.url()).toContain('status=failed');
    await page.click('#counts a[data-status=""]');
    await page.click('thead a[data-sort="size"]');
    await page.click('thead a[data-sort="-size"]');
    expect(page.url()).toContain('sort=-size');
    const bySize = ['centos', 'archlinux', 'alpine', EVIL];
    const shown = () => page.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-name')));
    expect((await shown()).filter((n) => n !== 'debian')).toEqual(bySize);

    // The same view from a shared URL, rendered by the server, then by the script.
    const shared = await context.newPage();
    await shared.goto(`${m.url}/?sort=-size&q=a`);
    // debian (matched by "a") reported no size: unknown sizes sort last.
    expect(await shared.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-name')))).toEqual(['centos', 'archlinux', 'alpine', 'debian']);
    await shared.goto(`${m.url}/?sort=-last`);
    await shared.waitForSelector('#lang:not([hidden])');
    const byLast = await shared.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-name')));
    expect(byLast[byLast.length - 1]).not.toBe('debian');
    expect(await shared.locator('thead th[aria-sort="descending"]').textContent()).toContain('Last success');
    await shared.close();
    await page.close();
  });

  it('opens a detail panel with the last runs', async () => {
    const page = await context.newPage();
    await page.goto(`${m.url}/`);
    await page.waitForSelector('#lang:not([hidden])');
    await page.click('tr[data-name="debian"] button.open');
    await page.waitForSelector('#detail:not([hidden]) table.runs tbody tr');
    expect(await page.locator('#detail-title').textContent()).toContain('debian');
    expect(await page.locator('#detail table.runs tbody tr').count()).toBeGreaterThanOrEqual(1);
    expect(await page.locator('#detail table.runs tbody tr').first().textContent()).toMatch(/success|syncing/);
    await page.keyboard.press('Escape');
    expect(await page.locator('#detail').isHidden()).toBe(true);
    await page.close();
  });

  it('switches to Chinese, and the choice survives a reload', async () => {
    const page = await context.newPage();
    await page.goto(`${m.url}/`);
    await page.waitForSelector('#lang:not([hidden])');
    expect(await page.locator('thead th').first().textContent()).toContain('Mirror');
    await page.click('#lang');
    expect(await page.locator('thead th').first().textContent()).toContain('镜像');
    expect(await page.getAttribute('html', 'lang')).toBe('zh-CN');
    await page.reload();
    expect(await page.locator('thead th').first().textContent()).toContain('镜像');
    await page.click('#lang');
    expect(await page.locator('thead th').first().textContent()).toContain('Mirror');
    await page.close();
  });

  it('is complete with JavaScript disabled (filters and sorting are links and a form)', async () => {
    const noJs = await browser.newContext({ javaScriptEnabled: false });
    noJs.on('request', (r) => void requests.push(r.url()));
    const page = await noJs.newPage();
    await page.goto(`${m.url}/`);
    expect(await page.locator('tbody tr').count()).toBe(5);
    expect(await page.locator('tbody').textContent()).toContain(EVIL);
    await page.click('#counts a[data-status="failed"]');
    expect(await page.locator('tbody tr').count()).toBe(1);
    await page.goto(`${m.url}/`);
    await page.fill('#q', 'alp');
    await page.press('#q', 'Enter');
    await page.waitForURL(/q=alp/);
    expect(await page.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-name')))).toEqual(['alpine']);
    await noJs.close();
  });

  it('fits a phone: no sideways scrolling of the page, the filter and the name column visible', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 800 }, colorScheme: 'dark' });
    phone.on('request', (r) => void requests.push(r.url()));
    const page = await phone.newPage();
    await page.goto(`${m.url}/`);
    await page.waitForSelector('#lang:not([hidden])');
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    expect(await page.locator('#q').isVisible()).toBe(true);
    expect(await page.locator('tr[data-name="debian"] button.open').isVisible()).toBe(true);
    await phone.close();
  });

  it('sent no request anywhere but the manager on 127.0.0.1', () => {
    expect(requests.length).toBeGreaterThan(10);
    for (const url of requests) expect(url.startsWith(`${m.url}/`)).toBe(true);
  });
});
