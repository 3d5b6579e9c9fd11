/**
 * A poison report must not block a worker's reports (issue 22): a report a
 * manager refuses for good (any 4xx but 401/403/408/429) is dropped with a
 * warning naming it; one that keeps failing is parked in a dead-letter file
 * beside the journal after N attempts, and the queue moves on. The manager
 * is real; a small proxy in front of it plays the failing parts.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHttpClient, emptyMirrorStatus } from '@tunasync/core';
import { Outbox, Reporter, deadLetterFile, outboxFile, type ReporterEvents, type ReporterOptions } from '@tunasync/worker';
import { getJson, startManager, type Cleanups } from './harness.js';
import { tempDir } from './helpers.js';
import { managerProxy } from './manager-proxy.js';
import { captureLogger } from './rsync-helpers.js';

let cleanups: Cleanups = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

function reporterFor(base: string, stateDir: string, extra: Partial<ReporterOptions> = {}): Reporter {
  const r = new Reporter({
    apiBaseList: [base],
    http: createHttpClient({ timeoutMs: 2000 }),
    self: () => ({ id: 'w1', url: 'http://127.0.0.1:1/', token: '', lastOnline: new Date(), lastRegister: new Date() }),
    logger: captureLogger().logger,
    maxBackoffMs: 100,
    stateDir,
    ...extra,
  });
  cleanups.push(() => r.close());
  return r;
}

/** Every event of `name` the reporter emits. */
function collect<K extends keyof ReporterEvents>(r: Reporter, name: K): ReporterEvents[K][0][] {
  const out: ReporterEvents[K][0][] = [];
  (r.on as (n: K, l: (e: ReporterEvents[K][0]) => void) => void)(name, (e) => out.push(e));
  return out;
}

const statusOf = (name: string) => ({ ...emptyMirrorStatus(name, 'w1'), status: 'success' as const });

async function setup(): Promise<{ dir: string; manager: Awaited<ReturnType<typeof startManager>> }> {
  const t = tempDir('tunasync-poison-');
  cleanups.push(t.cleanup);
  const manager = await startManager(join(t.dir, 'manager.db'));
  cleanups.push(() => manager.close());
  return { dir: t.dir, manager };
}

async function jobNames(base: string): Promise<string[]> {
  return ((await getJson(`${base}/workers/w1/jobs`)) as { name: string }[]).map((j) => j.name).sort();
}

describe('a poison report', () => {
  it('answered 431 by the manager (a name over the header limit) no longer blocks the next report', async () => {
    const { dir, manager } = await setup();
    const { logger, text } = captureLogger();
    const r = reporterFor(manager.base, join(dir, 'state'), { logger });
    const refused = collect(r, 'refused');
    r.start();
    const long = 'n'.repeat(17_000);
    r.reportStatus(statusOf(long));
    r.reportStatus(statusOf('after'));
    expect(await r.flush(20_000)).toBe(true);
    expect(await jobNames(manager.base)).toEqual(['after']);
    expect(text()).toMatch(/dropped POST \/workers\/w1\/jobs\/n{20}.*431/);
    expect(refused.map((e) => [e.status, e.dropped])).toEqual([[431, true]]);
  });

  it('answered with another 4xx (a proxy\'s 414) is dropped too; 401 and 429 are not', async () => {
    const { dir, manager } = await setup();
    let auth = 0;
    const base = await managerProxy(cleanups, manager.base, (method, path) => {
      if (path === '/workers/w1/jobs/bad') return { status: 414 };
      if (path === '/workers/w1/jobs/slow' && auth < 2) return { status: auth++ === 0 ? 401 : 429 };
      return undefined;
    });
    const r = reporterFor(base, join(dir, 'state'), { random: () => 0 });
    r.start();
    for (const n of ['bad', 'slow', 'after']) r.reportStatus(statusOf(n));
    expect(await r.flush(20_000)).toBe(true);
    expect(await jobNames(manager.base)).toEqual(['after', 'slow']);
  });

  it('failing 500 N times is dead-lettered beside the journal, and the next one is delivered', async () => {
    const { dir, manager } = await setup();
    let poisonTries = 0;
    const base = await managerProxy(cleanups, manager.base, (method, path) => {
      if (path === '/workers/w1/jobs/poison') {
        poisonTries++;
        return { status: 500, body: { error: 'internal error: boom', code: 'internal' } };
      }
      return undefined;
    });
    const state = join(dir, 'state');
    const { logger, text } = captureLogger();
    const r = reporterFor(base, state, { logger, maxAttempts: 3, random: () => 0 });
    const dead = collect(r, 'dead-letter');
    const sent = collect(r, 'sent');
    const depth = collect(r, 'depth');
    r.start();
    r.reportStatus(statusOf('poison'));
    r.reportStatus(statusOf('after'));
    expect(await r.flush(20_000)).toBe(true);
    expect(await jobNames(manager.base)).toEqual(['after']);
    expect(poisonTries).toBe(3);
    expect(dead).toEqual([{ manager: base, path: '/workers/w1/jobs/poison', attempts: 3, reason: expect.stringContaining('500') }]);
    expect(sent.map((e) => e.path)).toEqual(['/workers/w1/jobs/after']);
    expect(depth.at(-1)).toEqual({ manager: base, depth: 0 });
    expect(r.deadLettered).toBe(1);
    expect(text()).toMatch(/dead-letter.*POST \/workers\/w1\/jobs\/poison/);
    const file = deadLetterFile(outboxFile(state, base));
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ manager: base, method: 'POST', path: '/workers/w1/jobs/poison', attempts: 3, body: { name: 'poison', status: 'success' } });
    expect(String(lines[0]!.reason)).toContain('internal error: boom');
    await r.close();
    // Gone from the journal: the next process does not send it again.
    const o = new Outbox(outboxFile(state, base), { workerId: 'w1' });
    expect(o.size).toBe(0);
    await o.close();
  });

  it('an outage (503, no answer) never dead-letters a report', async () => {
    const { dir, manager } = await setup();
    let unavailable = 6;
    const base = await managerProxy(cleanups, manager.base, (method, path) => (path.startsWith('/workers/w1/jobs/') && unavailable-- > 0 ? { status: 503 } : undefined));
    const r = reporterFor(base, join(dir, 'state'), { maxAttempts: 2, random: () => 0 });
    r.start();
    r.reportStatus(statusOf('a'));
    expect(await r.flush(20_000)).toBe(true);
    expect(r.deadLettered).toBe(0);
    expect(await jobNames(manager.base)).toEqual(['a']);
    expect(existsSync(deadLetterFile(outboxFile(join(dir, 'state'), base)))).toBe(false);
  });
});
