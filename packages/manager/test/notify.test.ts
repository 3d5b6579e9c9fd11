/**
 * Notifications end to end (issue 16): a real manager with `[[notify]]`
 * entries parsed from manager.conf text, a local HTTP receiver, status
 * reports over HTTP, and a test clock for the time-driven alerts.
 */
import { createHmac } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { ConfigError, parseManagerConfig, type Clock } from '@tunasync/core';
import { startManager, type RunningManager } from '@tunasync/manager';
import { TestClock, captureLogger, freePort, request, serve, tempDir, until, type Served } from '@tunasync/testkit';

interface Got {
  body: string;
  json: Record<string, unknown>;
  signature: string | undefined;
  contentType: string | undefined;
}

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function receiver(port = 0): Promise<Served & { got: Got[] }> {
  const got: Got[] = [];
  const served = await serve((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(body) as Record<string, unknown>;
      } catch {
        // text format
      }
      got.push({ body, json, signature: req.headers['x-tunasync-signature'] as string | undefined, contentType: req.headers['content-type'] });
      res.end('ok');
    });
  }, port);
  cleanup.push(() => served.close());
  return Object.assign(served, { got });
}

function dbFile(): string {
  const d = tempDir('tunasync-notify-');
  cleanup.push(() => d.cleanup());
  return join(d.dir, 'manager.db');
}

async function manager(db: string, notify: string, clock: Clock = new TestClock(), extra = ''): Promise<RunningManager> {
  const text = `[server]\naddr = "127.0.0.1"\nport = 0\n[files]\ndb_file = ${JSON.stringify(db)}\n${extra}\n${notify}`;
  const { config } = parseManagerConfig(text, 'manager.conf');
  const m = await startManager(config, { clock, logger: captureLogger().logger, notify: { tickMs: 20, checkEveryMs: 1000, timeoutMs: 2000 } });
  cleanup.push(() => m.close());
  return m;
}

/** The worker token of a manager with `[auth]` (undefined: open). */
let workerToken: string | undefined;
afterEach(() => (workerToken = undefined));
const auth = (): { token?: string } => (workerToken ? { token: workerToken } : {});

async function register(m: RunningManager, id = 'w1'): Promise<void> {
  expect((await request(m.url, 'POST', '/workers', { body: { id, url: 'http://127.0.0.1:1/' }, ...auth() })).status).toBe(200);
}

async function report(m: RunningManager, mirror: string, status: string, worker = 'w1', error = ''): Promise<void> {
  const body = { name: mirror, worker, is_master: true, status, upstream: 'rsync://u/', size: '1G', error_msg: error };
  const res = await request(m.url, 'POST', `/workers/${worker}/jobs/${mirror}`, { body, ...auth() });
  expect(res.status).toBe(200);
}

/** Waits until the alerts seen so far were queued and the queue is empty. */
async function drained(m: RunningManager): Promise<void> {
  await m.notifications.notifier.idle();
  await until(async () => ((await m.store.countNotifications()) === 0 ? true : undefined), 'the queue is empty');
}

describe('[[notify]] alerts', () => {
  it('sends failed after exactly after_failures failures, recovered once, nothing for ! excluded mirrors, signed', async () => {
    const r = await receiver();
    const m = await manager(
      dbFile(),
      `[[notify]]\nurl = "${r.url}/hook"\nevents = ["failed", "recovered"]\nafter_failures = 2\nmirrors = ["deb*", "!debian-cd"]\nsecret = "s3cret"\n`,
    );
    await register(m);
    for (let i = 0; i < 3; i++) await report(m, 'debian-cd', 'failed');
    await report(m, 'ubuntu', 'failed');
    await report(m, 'debian', 'failed', 'w1', 'rsync exited 23');
    await drained(m);
    expect(r.got).toEqual([]);
    await report(m, 'debian', 'failed', 'w1', 'rsync exited 23');
    await until(() => (r.got.length === 1 ? true : undefined), 'the failed alert arrives');
    await report(m, 'debian', 'failed');
    await report(m, 'debian', 'success');
    await report(m, 'debian', 'success');
    await until(() => (r.got.length >= 2 ? true : undefined), 'the recovered alert arrives');
    await drained(m);
    expect(r.got.map((g) => [g.json.event, g.json.mirror, g.json.failures])).toEqual([
      ['failed', 'debian', 2],
      ['recovered', 'debian', 3],
    ]);
    expect(r.got[0]!.json).toMatchObject({ worker: 'w1', error: 'rsync exited 23' });
    for (const g of r.got) {
      expect(g.contentType).toBe('application/json');
      expect(g.signature).toBe(`sha256=${createHmac('sha256', 's3cret').update(g.body).digest('hex')}`);
    }
  });

  it('renders slack, discord and text bodies, unsigned without a secret', async () => {
    const r = await receiver();
    const m = await manager(
      dbFile(),
      ['slack', 'discord', 'text'].map((f) => `[[notify]]\nurl = "${r.url}/${f}"\nformat = "${f}"\nevents = ["failed"]\n`).join(''),
    );
    await register(m);
    await report(m, 'arch', 'failed', 'w1', 'boom');
    await until(() => (r.got.length === 3 ? true : undefined), 'three bodies arrive');
    const line = '[tunasync] arch on w1 failed: boom';
    expect(r.got.map((g) => g.json.text ?? g.json.content ?? g.body).sort()).toEqual([line, line, `${line}\n`].sort());
    expect(r.got.every((g) => g.signature === undefined)).toBe(true);
  });

  it('keeps deliveries queued while the receiver is down and sends them after a manager restart', async () => {
    const port = await freePort();
    const db = dbFile();
    const clock = new TestClock();
    const entry = `[[notify]]\nurl = "http://127.0.0.1:${port}/hook"\nevents = ["failed"]\n`;
    const first = await manager(db, entry, clock);
    await register(first);
    await report(first, 'debian', 'failed');
    await first.notifications.notifier.idle();
    await until(async () => {
      const [n] = await first.store.claimNotifications('probe', 1, 1);
      return n === undefined && (await first.store.countNotifications()) === 1 ? true : undefined;
    }, 'the first attempt failed and waits for its retry');
    await first.close();
    const r = await receiver(port);
    clock.advance(3600_000);
    await manager(db, entry, clock);
    await until(() => (r.got.length === 1 ? true : undefined), 'the queued alert arrives after the restart');
    expect(r.got[0]!.json).toMatchObject({ event: 'failed', mirror: 'debian', worker: 'w1' });
  });

  it('fires stale and worker_offline with a test clock, worker_online on the next heartbeat, each once', async () => {
    const r = await receiver();
    const clock = new TestClock();
    const m = await manager(dbFile(), `[[notify]]\nurl = "${r.url}/"\nevents = ["stale", "worker_offline", "worker_online"]\n`, clock);
    await register(m);
    await report(m, 'debian', 'success');
    // Our worker reports the interval with its schedules: stale after 2 × 1 h + 6 h (the rule of GET /stale).
    const next = new Date(clock.now().getTime() + 3600_000).toISOString();
    expect((await request(m.url, 'POST', '/workers/w1/schedules', { body: { schedules: [{ name: 'debian', next_schedule: next, interval_s: 3600 }] } })).status).toBe(200);
    await m.notifications.dispatcher.tick();
    await drained(m);
    expect(r.got).toEqual([]);
    clock.advance(3 * 86_400_000);
    await until(() => (r.got.length === 2 ? true : undefined), 'stale and offline alerts arrive');
    expect(r.got.map((g) => g.json.event).sort()).toEqual(['stale', 'worker_offline']);
    clock.advance(60_000);
    await m.notifications.dispatcher.tick();
    const hb = await request(m.url, 'POST', '/workers/w1/heartbeat', { body: {} });
    expect(hb.status).toBe(200);
    await until(() => (r.got.length === 3 ? true : undefined), 'the online alert arrives');
    expect(r.got[2]!.json).toMatchObject({ event: 'worker_online', worker: 'w1' });
    clock.advance(60_000);
    await m.notifications.dispatcher.tick();
    await drained(m);
    expect(r.got).toHaveLength(3);
  });

  it('holds alerts during maintenance and sends one summary when it is switched off', async () => {
    const r = await receiver();
    const m = await manager(dbFile(), `[[notify]]\nurl = "${r.url}/"\nevents = ["failed"]\n`, new TestClock(), '[auth]\nadmin_tokens = ["adm"]\nworker_token = "wt"\n');
    workerToken = 'wt';
    expect((await request(m.url, 'GET', '/maintenance')).body).toEqual({ enabled: false });
    expect((await request(m.url, 'POST', '/maintenance', { body: { message: 'x' }, token: 'wt' })).status).toBe(403);
    expect((await request(m.url, 'POST', '/maintenance', { body: { message: '' }, token: 'adm' })).body).toMatchObject({ code: 'bad_request' });
    await register(m);
    const on = await request(m.url, 'POST', '/maintenance', { body: { message: 'disk swap' }, token: 'adm' });
    expect(on.status).toBe(200);
    expect((await request(m.url, 'GET', '/maintenance')).body).toMatchObject({ enabled: true, message: 'disk swap', since: '2026-11-21T06:00:00.000Z' });
    await report(m, 'debian', 'failed');
    await report(m, 'ubuntu', 'failed');
    await m.notifications.notifier.idle();
    await m.notifications.dispatcher.tick();
    expect(r.got).toEqual([]);
    expect(await m.store.countNotifications()).toBe(2);
    expect((await request(m.url, 'DELETE', '/maintenance', { token: 'adm' })).body).toEqual({ enabled: false });
    await until(() => (r.got.length === 1 ? true : undefined), 'the summary arrives');
    await drained(m);
    expect(r.got).toHaveLength(1);
    const summary = r.got[0]!.json as { event: string; held: { event: string; mirror: string }[] };
    expect(summary.event).toBe('maintenance_summary');
    expect(summary.held.map((h) => [h.event, h.mirror])).toEqual([
      ['failed', 'debian'],
      ['failed', 'ubuntu'],
    ]);
  });
});

describe('[[notify]] with several managers and maintenance by time', () => {
  it('sends each alert once when two managers share one store', async () => {
    const r = await receiver();
    const db = dbFile();
    const entry = `[[notify]]\nurl = "${r.url}/"\nevents = ["failed"]\n`;
    const a = await manager(db, entry);
    const b = await manager(db, entry);
    await register(a);
    for (const [i, mirror] of ['m1', 'm2', 'm3', 'm4', 'm5', 'm6'].entries()) await report(i % 2 === 0 ? a : b, mirror, 'failed');
    await a.notifications.notifier.idle();
    await b.notifications.notifier.idle();
    await until(() => (r.got.length >= 6 ? true : undefined), 'six alerts arrive');
    await drained(a);
    await a.notifications.dispatcher.tick();
    await b.notifications.dispatcher.tick();
    expect(r.got.map((g) => g.json.mirror).sort()).toEqual(['m1', 'm2', 'm3', 'm4', 'm5', 'm6']);
  });

  it('delivers to one receiver while another hangs without answering', async () => {
    const fine = await receiver();
    const pending: ServerResponse[] = [];
    const hanging = await serve((_req, res) => void pending.push(res));
    cleanup.push(() => hanging.close());
    const m = await manager(dbFile(), [hanging.url, fine.url].map((u) => `[[notify]]\nurl = "${u}/"\nevents = ["failed"]\n`).join(''));
    await register(m);
    await report(m, 'debian', 'failed');
    await until(() => (pending.length === 1 ? true : undefined), 'the hanging receiver got its request');
    await until(() => (fine.got.length === 1 ? true : undefined), 'the other receiver got the alert');
    // The hanging request is still open (the client gives up after 2 s): the fine receiver did not wait for it.
    expect(pending[0]!.socket?.destroyed).toBe(false);
  });

  it('ends maintenance by itself at until and then sends the held alerts as a summary', async () => {
    const r = await receiver();
    const clock = new TestClock();
    const m = await manager(dbFile(), `[[notify]]\nurl = "${r.url}/"\nformat = "text"\nevents = ["failed", "recovered"]\n`, clock);
    await register(m);
    const until1h = new Date(clock.now().getTime() + 3600_000).toISOString();
    expect((await request(m.url, 'POST', '/maintenance', { body: { message: 'upgrade', until: until1h } })).status).toBe(200);
    await report(m, 'debian', 'failed', 'w1', 'timeout');
    await report(m, 'debian', 'success');
    await m.notifications.notifier.idle();
    await m.notifications.dispatcher.tick();
    expect(r.got).toEqual([]);
    clock.advance(3600_000);
    expect((await request(m.url, 'GET', '/maintenance')).body).toEqual({ enabled: false });
    await until(() => (r.got.length === 1 ? true : undefined), 'the summary arrives');
    expect(r.got[0]!.body).toBe(
      '[tunasync] maintenance ended; 2 alert(s) held meanwhile:\n- debian on w1 failed: timeout\n- debian on w1 recovered after 1 failed runs\n',
    );
  });

  it('refuses a past or malformed until and an empty message with 400', async () => {
    const m = await manager(dbFile(), '');
    const past = await request(m.url, 'POST', '/maintenance', { body: { message: 'x', until: '2000-01-01T00:00:00Z' } });
    expect(past.status).toBe(400);
    expect(past.body).toMatchObject({ code: 'bad_request', error: expect.stringMatching(/until/) });
    expect((await request(m.url, 'POST', '/maintenance', { body: { message: 'x', until: 'tomorrow' } })).status).toBe(400);
    expect((await request(m.url, 'POST', '/maintenance', { body: ['x'] })).status).toBe(400);
    expect((await request(m.url, 'GET', '/maintenance')).body).toEqual({ enabled: false });
  });
});

describe('[[notify]] checks at start', () => {
  const bad = (entry: string): string => {
    try {
      parseManagerConfig(`[[notify]]\n${entry}`, 'manager.conf');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as Error).message;
    }
    throw new Error('accepted');
  };
  it('refuses an unknown event, a bad URL and a bad glob, naming the key', () => {
    expect(bad('url = "http://x/"\nevents = ["failed", "exploded"]')).toMatch(/manager\.conf.*notify\[0\]\.events\[1\]/);
    expect(bad('url = "ftp://x/"')).toMatch(/notify\[0\]\.url.*not an http/);
    expect(bad('url = "http://x/"\nmirrors = ["ok", "!deb[ian"]')).toMatch(/notify\[0\]\.mirrors\[1\].*unclosed/);
    expect(bad('url = "http://x/"\nformat = "xml"')).toMatch(/notify\[0\]\.format/);
    expect(bad('url = "http://x/"\nafter_failures = 0')).toMatch(/notify\[0\]\.after_failures/);
  });
  it('accepts a good entry with its defaults', () => {
    const { config } = parseManagerConfig('[[notify]]\nurl = "https://hooks.example/x"\nmirrors = ["debian*", "!debian-cd"]', 'manager.conf');
    expect(config.notify).toEqual([
      expect.objectContaining({ url: 'https://hooks.example/x', format: 'json', events: ['failed', 'recovered'], afterFailures: 1, secret: '' }),
    ]);
  });
});
