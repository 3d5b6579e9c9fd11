/**
 * The worker's seams: its typed event map (runs with their id, tries, exit
 * code and outcome), what a ping does to the schedule, and the control
 * server (bearer parsing, auth before the body, route modules, limits, the
 * open-listener warning). Each worker reports to a real in-process manager.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { EventEmitter } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import express from 'express';
import { createSilentLogger, parseWorkerConfig, type Logger, type WorkerConfig } from '@tunasync/core';
import {
  CONTROL_SERVER_LIMITS,
  bridgeReporterEvents,
  type ReporterEvents,
  createWorker,
  createWorkerEvents,
  listenControl,
  type RunEndEvent,
  type RunStartEvent,
  type TimerApi,
  type Worker,
  type WorkerEvents,
  type WorkerOptions,
} from '@tunasync/worker';
import { startManager } from './harness.js';
import { tempDir } from './helpers.js';
import { until } from '@tunasync/testkit';

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

/** A logger that keeps what it is given. */
function recordingLogger(): { logger: Logger; lines: { level: string; message: string }[] } {
  const lines: { level: string; message: string }[] = [];
  const make = (): Logger => ({
    error: (message) => lines.push({ level: 'error', message }),
    warn: (message) => lines.push({ level: 'warn', message }),
    info: (message) => lines.push({ level: 'info', message }),
    verbose: (message) => lines.push({ level: 'verbose', message }),
    debug: (message) => lines.push({ level: 'debug', message }),
    child: () => make(),
  });
  return { logger: make(), lines };
}

/** Writes and parses a worker.conf under `dir` reporting to a manager of its own (started here). */
async function config(dir: string, opts: { server?: string; manager?: string; mirrors: string }): Promise<WorkerConfig> {
  const m = await startManager(join(dir, `manager-${Math.random().toString(36).slice(2)}.db`));
  cleanups.push(() => m.close());
  const text =
    `[global]\nname = "ws"\nlog_dir = "${dir}/log/{{.Name}}"\nmirror_dir = "${dir}/data"\ninterval = 600\n` +
    `[manager]\napi_base = "${m.base}"\n${opts.manager ?? ''}\n` +
    `[server]\nhostname = "127.0.0.1"\nlisten_port = 0\n${opts.server ?? 'listen_addr = "127.0.0.1"'}\n${opts.mirrors}`;
  const file = join(dir, 'worker.conf');
  writeFileSync(file, text);
  return parseWorkerConfig(text, file).config;
}

async function worker(cfg: WorkerConfig, extra: Partial<WorkerOptions> = {}): Promise<Worker> {
  const w = await createWorker({ config: cfg, logger: createSilentLogger(), graceMs: 300, maxBackoffMs: 200, registerWaitMs: 3000, ...extra });
  cleanups.push(() => w.halt());
  return w;
}

/** Resolves with the first `name` event of `w` for which `pred` holds. */
function nextWorkerEvent<K extends keyof WorkerEvents>(w: Worker, name: K, pred: (e: WorkerEvents[K][0]) => boolean = () => true): Promise<WorkerEvents[K][0]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${name}`)), 20_000);
    const listener = (e: WorkerEvents[K][0]): void => {
      if (!pred(e)) return;
      clearTimeout(timer);
      (w.events.off as (n: K, l: typeof listener) => void)(name, listener);
      resolve(e);
    };
    (w.events.on as (n: K, l: typeof listener) => void)(name, listener);
  });
}

function script(dir: string, name: string, body: string): string {
  const file = join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return file;
}

describe('worker events', () => {
  it('run:start per try and one run:end share the run id; the failing command\'s exit code reaches run:end', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const s = script(t.dir, 'fail.sh', 'echo trying; exit 3');
    const w = await worker(await config(t.dir, { mirrors: `[[mirrors]]\nname = "f"\nprovider = "command"\ncommand = "${s}"\nretry = 2\n` }));
    const starts: RunStartEvent[] = [];
    const logFiles: (string | undefined)[] = [];
    w.events.on('run:start', (e) => {
      starts.push(e);
      logFiles.push(w.jobs.get('f')!.currentLogFile);
    });
    const end = nextWorkerEvent(w, 'run:end');
    await w.start();
    const e: RunEndEvent = await end;
    expect(starts.map((x) => x.attempt)).toEqual([1, 2]);
    expect(new Set(starts.map((x) => x.runId)).size).toBe(1);
    expect(starts[0]!.runId).toMatch(/^[0-9a-f-]{36}$/);
    expect(starts.every((x) => x.mirror === 'f' && x.trigger === 'startup')).toBe(true);
    expect(logFiles).toEqual(starts.map((x) => x.logFile));
    expect(starts[0]!.logFile).toMatch(new RegExp(`^${join(t.dir, 'log', 'f')}/f_\\d{4}-\\d{2}-\\d{2}_\\d{2}_\\d{2}\\.log$`));
    expect(e).toMatchObject({ runId: starts[0]!.runId, mirror: 'f', attempts: 2, exitCode: 3, outcome: 'failed', trigger: 'startup' });
    expect(e.durationMs).toBeGreaterThanOrEqual(0);
    expect(w.jobs.get('f')!.currentLogFile).toBeUndefined();

    // The next run (by hand) gets a new id; a success has exit code 0.
    writeFileSync(s, '#!/bin/sh\nexit 0\n');
    const second = nextWorkerEvent(w, 'run:end');
    await w.command({ cmd: 'start', mirrorId: 'f', args: [], options: {} });
    expect(await second).toMatchObject({ mirror: 'f', attempts: 1, exitCode: 0, outcome: 'success', trigger: 'manual' });
    expect((await second).runId).not.toBe(e.runId);
  });

  it('labels a mirror\'s first scheduled run in this process startup, and the next ones schedule', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    // Timers that fire at once when due now, and otherwise wait for the test to fire them.
    const pending: (() => void)[] = [];
    const timers: TimerApi = {
      set: (fn, ms) => {
        if (ms <= 0) return setImmediate(fn);
        pending.push(fn);
        return fn;
      },
      clear: (h) => {
        if (typeof h !== 'function') return clearImmediate(h as NodeJS.Immediate);
        const i = pending.indexOf(h as () => void);
        if (i >= 0) pending.splice(i, 1);
      },
    };
    const w = await worker(await config(t.dir, { mirrors: `[[mirrors]]\nname = "s"\nprovider = "command"\ncommand = "true"\ninterval = 5\n` }), { timers });
    const first = nextWorkerEvent(w, 'run:end');
    await w.start();
    expect(await first).toMatchObject({ mirror: 's', outcome: 'success', trigger: 'startup' });
    await until(() => (pending.length > 0 ? true : undefined), 'the next run to be scheduled');
    const second = nextWorkerEvent(w, 'run:end');
    pending.shift()!();
    expect(await second).toMatchObject({ mirror: 's', outcome: 'success', trigger: 'schedule' });
  });

  it('a stopped run ends aborted; job:state and schedule events are emitted', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const w = await worker(await config(t.dir, { mirrors: `[[mirrors]]\nname = "slow"\nprovider = "command"\ncommand = "sleep 60"\n` }));
    const states: string[] = [];
    w.events.on('job:state', (e) => states.push(`${e.mirror}:${e.from}->${e.to}`));
    const scheduled = nextWorkerEvent(w, 'schedule');
    const started = nextWorkerEvent(w, 'run:start');
    await w.start();
    expect((await scheduled).mirror).toBe('slow');
    await started;
    const end = nextWorkerEvent(w, 'run:end');
    await w.command({ cmd: 'stop', mirrorId: 'slow', args: [], options: {} });
    expect(await end).toMatchObject({ mirror: 'slow', outcome: 'aborted', exitCode: null, attempts: 1 });
    expect(states).toEqual(['slow:none->ready', 'slow:ready->paused']);
    expect(w.nextRun('slow')).toBeUndefined();
  });
});

describe('reporter events', () => {
  it('are re-emitted as report:sent, report:refused, outbox:depth and report:dead-letter', () => {
    const reporter = new EventEmitter<ReporterEvents>();
    const events = createWorkerEvents();
    const seen: string[] = [];
    for (const name of ['report:sent', 'report:refused', 'outbox:depth', 'report:dead-letter'] as const) {
      events.on(name, (e: object) => seen.push(`${name} ${JSON.stringify(e)}`));
    }
    bridgeReporterEvents(reporter, events);
    reporter.emit('sent', { manager: 'http://m', path: '/workers/w/jobs/a' });
    reporter.emit('refused', { manager: 'http://m', path: '/workers/w/jobs/b', status: 431, dropped: true });
    reporter.emit('depth', { manager: 'http://m', depth: 3 });
    reporter.emit('dead-letter', { manager: 'http://m', path: '/workers/w/jobs/c', attempts: 50, reason: 'answered 500' });
    expect(seen).toEqual([
      'report:sent {"manager":"http://m","path":"/workers/w/jobs/a"}',
      'report:refused {"manager":"http://m","path":"/workers/w/jobs/b","status":431,"dropped":true}',
      'outbox:depth {"manager":"http://m","depth":3}',
      'report:dead-letter {"manager":"http://m","path":"/workers/w/jobs/c","attempts":50,"reason":"answered 500"}',
    ]);
  });
});

describe('commands and the schedule', () => {
  it('a ping leaves the pending scheduled run alone', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const w = await worker(await config(t.dir, { mirrors: `[[mirrors]]\nname = "p"\nprovider = "command"\ncommand = "true"\n` }));
    const end = nextWorkerEvent(w, 'run:end');
    await w.start();
    await end;
    const next = w.nextRun('p');
    expect(next).toBeDefined();
    expect(next!.getTime() - Date.now()).toBeGreaterThan(599 * 60_000);
    await w.command({ cmd: 'ping', mirrorId: 'p', args: [], options: {} });
    expect(w.nextRun('p')).toEqual(next);
    const r = await fetch(w.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ cmd: 'ping', mirror_id: 'p', args: [], options: {} }) });
    expect(r.status).toBe(200);
    expect(w.nextRun('p')).toEqual(next);
  });
});

describe('control server', () => {
  const ping = JSON.stringify({ cmd: 'ping', mirror_id: 'm', args: [], options: {} });
  const mirror = `[[mirrors]]\nname = "m"\nprovider = "command"\ncommand = "true"\ncron = "0 0 1 1 *"\n`;

  it('accepts the Bearer scheme in any case, and refuses an anonymous malformed body with 401 before parsing it', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const w = await worker(await config(t.dir, { manager: 'token = "s3cret"', mirrors: mirror }));
    await w.start();
    const post = (body: string, auth?: string): Promise<Response> =>
      fetch(w.url, { method: 'POST', headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) }, body });
    for (const scheme of ['Bearer', 'bearer', 'BEARER']) expect((await post(ping, `${scheme} s3cret`)).status).toBe(200);
    expect((await post(ping, 'Basic s3cret')).status).toBe(401);
    expect((await post(ping, 'bearer wrong')).status).toBe(401);
    const anonymous = await post('{"cmd": "ping", oops');
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual({ msg: 'token missing or wrong' });
    const malformed = await post('{"cmd": "ping", oops', 'Bearer s3cret');
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toEqual({ msg: 'Invalid request' });
  });

  it('mounts route modules before the 404, with the worker\'s token check and jobs', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const w = await worker(await config(t.dir, { manager: 'token = "s3cret"', mirrors: mirror }), {
      routes: [
        {
          name: 'probe',
          mount(router, ctx) {
            router.get('/probe/:mirror', ctx.requireToken, (req, res) => {
              const job = ctx.job(req.params.mirror as string);
              res.json({ known: job !== undefined, state: job?.state ?? null, names: ctx.jobNames() });
            });
          },
        },
      ],
    });
    await w.start();
    const base = w.url.replace(/\/$/, '');
    const authed = await fetch(`${base}/probe/m`, { headers: { authorization: 'Bearer s3cret' } });
    expect(authed.status).toBe(200);
    expect(await authed.json()).toEqual({ known: true, state: 'none', names: ['m'] });
    expect((await fetch(`${base}/probe/m`)).status).toBe(401);
    const missing = await fetch(`${base}/nothing-here`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'no route GET /nothing-here', code: 'not_found' });
  });

  it('warns when it listens beyond loopback without a token, and not otherwise', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const warnings = async (server: string, manager: string): Promise<string[]> => {
      const { logger, lines } = recordingLogger();
      const w = await worker(await config(t.dir, { server, manager, mirrors: mirror }), { logger });
      await w.start();
      await w.halt();
      return lines.filter((l) => l.level === 'warn' && l.message.includes('control server listens')).map((l) => l.message);
    };
    expect(await warnings('listen_addr = "0.0.0.0"', '')).toEqual([
      'no [manager] token is configured and the control server listens on 0.0.0.0: anyone who can reach it may send commands',
    ]);
    expect(await warnings('listen_addr = "0.0.0.0"', 'token = "s3cret"')).toEqual([]);
    expect(await warnings('listen_addr = "127.0.0.1"', '')).toEqual([]);
  });

  it('bounds header and request times and connections', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const cfg = await config(t.dir, { mirrors: mirror });
    const l = await listenControl(express(), cfg, createSilentLogger());
    cleanups.push(() => l.close());
    expect(l.server.headersTimeout).toBe(30_000);
    expect(l.server.requestTimeout).toBe(60_000);
    expect(l.server.maxConnections).toBe(CONTROL_SERVER_LIMITS.maxConnections);
    expect(l.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  });
});
