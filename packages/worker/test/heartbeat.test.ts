/**
 * The worker's heartbeat and maintenance gate (issue 16) against a real
 * manager: maintenance learned from the heartbeat answer holds scheduled
 * starts, still after a manager restart, and releases them once when it
 * ends at `until` (manager test clock); a manager without the route (404)
 * gets one log line and no more heartbeats.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { ConfigError, createHttpClient, parseWorkerConfig } from '@tunasync/core';
import { startManager } from '@tunasync/manager';
import { Heartbeat, MaintenanceGate } from '@tunasync/worker';
import { TestClock, captureLogger, freePort, request, serve, tempDir, testManagerConfig, until } from '@tunasync/testkit';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

describe('heartbeat and maintenance', () => {
  it('holds scheduled starts while the manager says maintenance, across its restart, until `until`', async () => {
    const d = tempDir('tunasync-hb-');
    cleanup.push(() => d.cleanup());
    const db = join(d.dir, 'manager.db');
    const clock = new TestClock();
    const config = testManagerConfig(db, { port: await freePort() });
    const start = async () => {
      const m = await startManager(config, { clock });
      cleanup.push(() => m.close());
      return m;
    };
    let m = await start();
    expect((await request(m.url, 'POST', '/workers', { body: { id: 'w1', url: 'http://127.0.0.1:1/' } })).status).toBe(200);
    const end = new Date(clock.now().getTime() + 3600_000).toISOString();
    expect((await request(m.url, 'POST', '/maintenance', { body: { message: 'mirror disk swap', until: end } })).status).toBe(200);

    const log = captureLogger();
    const gate = new MaintenanceGate(log.logger);
    const started: string[] = [];
    const onDue = gate.wrap((name) => started.push(name));
    const hb = new Heartbeat({ apiBaseList: [m.url], http: createHttpClient({ retries: 0 }), workerId: () => 'w1', logger: log.logger, onMaintenance: (b, s) => gate.set(b, s) });
    cleanup.push(() => hb.close());
    expect(await hb.beat(m.url)).toBe('ok');
    expect(gate.on).toBe(true);
    onDue('debian');
    onDue('debian');
    onDue('ubuntu');
    expect(started).toEqual([]);
    expect(gate.heldJobs()).toEqual(['debian', 'ubuntu']);

    await m.close();
    m = await start();
    expect(await hb.beat(m.url)).toBe('ok');
    expect(gate.on).toBe(true);
    expect(started).toEqual([]);

    clock.advance(3600_000);
    expect((await request(m.url, 'GET', '/maintenance')).body).toEqual({ enabled: false });
    expect(await hb.beat(m.url)).toBe('ok');
    expect(gate.on).toBe(false);
    expect(started).toEqual(['debian', 'ubuntu']);
    onDue('debian');
    expect(started).toEqual(['debian', 'ubuntu', 'debian']);
    expect(log.text()).toMatch(/maintenance mode off: 2 held scheduled run\(s\) start now/);
  });

  it('answers the heartbeat with last_online and maintenance, and 400 invalid_worker_id for an unknown worker', async () => {
    const d = tempDir('tunasync-hb-');
    cleanup.push(() => d.cleanup());
    const clock = new TestClock();
    const m = await startManager(testManagerConfig(join(d.dir, 'm.db')), { clock });
    cleanup.push(() => m.close());
    const unknown = await request(m.url, 'POST', '/workers/nobody/heartbeat', { body: {} });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ code: 'invalid_worker_id' });
    await request(m.url, 'POST', '/workers', { body: { id: 'w1', url: 'http://127.0.0.1:1/' } });
    clock.advance(5000);
    const ok = await request(m.url, 'POST', '/workers/w1/heartbeat');
    expect(ok.body).toEqual({ worker: 'w1', last_online: clock.now().toISOString(), maintenance: { enabled: false } });
    const workers = (await request(m.url, 'GET', '/workers')).body as Record<string, unknown>[];
    expect(Object.keys(workers[0]!).sort()).toEqual(['id', 'last_online', 'last_register', 'token', 'url']);
  });

  it('stops heartbeating quietly to a manager without the route (404)', async () => {
    let hits = 0;
    const tunasync = await serve((_req, res) => {
      hits++;
      res.statusCode = 404;
      res.end('404 page not found');
    });
    cleanup.push(() => tunasync.close());
    const log = captureLogger();
    const gate = new MaintenanceGate(log.logger);
    const hb = new Heartbeat({ apiBaseList: [tunasync.url], http: createHttpClient({ retries: 0 }), workerId: () => 'w1', intervalMs: 10, logger: log.logger, onMaintenance: (b, s) => gate.set(b, s) });
    hb.start();
    cleanup.push(() => hb.close());
    await until(() => (hb.unsupportedManagers.length === 1 ? true : undefined), 'the 404 is seen');
    expect(await hb.beat(tunasync.url)).toBe('unsupported');
    expect(hits).toBe(1);
    expect(log.lines.filter((l) => /heartbeat/.test(l))).toHaveLength(1);
    expect(log.text()).toMatch(/has no heartbeat route \(answered 404\)/);
    expect(gate.on).toBe(false);
  });

  it('validates [manager] heartbeat_interval', () => {
    const base = '[global]\nname = "w"\nmirror_dir = "/srv/m"\nlog_dir = "/tmp/l"\n[[mirrors]]\nname = "m"\nprovider = "command"\ncommand = "true"\nupstream = "u"\n';
    expect(parseWorkerConfig(`${base}[manager]\nheartbeat_interval = 30\n`).config.manager.heartbeatIntervalS).toBe(30);
    expect(parseWorkerConfig(base).config.manager.heartbeatIntervalS).toBeUndefined();
    expect(() => parseWorkerConfig(`${base}[manager]\nheartbeat_interval = 0\n`)).toThrow(ConfigError);
    expect(() => parseWorkerConfig(`${base}[manager]\nheartbeat_interval = 0\n`)).toThrow(/manager\.heartbeat_interval/);
  });
});
