import { afterEach, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { createSilentLogger, parseWorkerConfig, systemClock, type MirrorSchedule } from '@tunasync/core';
import { JobSchedules, Scheduler, createWorker, cronPolicy, isValidCron, type Worker } from '@tunasync/worker';
import { tempDir } from './helpers.js';

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

describe('Scheduler', () => {
  it('fires a date timer exactly once and reports the schedule', async () => {
    const due: string[] = [];
    const changes: MirrorSchedule[] = [];
    const s = new Scheduler({ clock: systemClock, onDue: (n) => due.push(n), onChange: (c) => changes.push(...c) });
    cleanups.push(() => s.close());
    const when = new Date(Date.now() + 150);
    s.at('a', when);
    s.at('b', new Date(Date.now() + 150));
    s.cancel('b');
    expect(s.next('a')?.getTime()).toBe(when.getTime());
    await new Promise((r) => setTimeout(r, 400));
    expect(due).toEqual(['a']);
    expect(changes.map((c) => c.name)).toEqual(['a', 'b']);
    expect(s.next('a')).toBeUndefined();
  });

  it('runs past-due jobs at once and reports now as their next run', async () => {
    const due: string[] = [];
    const s = new Scheduler({ clock: systemClock, onDue: (n) => due.push(n), onChange: () => {} });
    s.at('late', new Date(Date.now() - 60_000));
    await new Promise((r) => setImmediate(r));
    expect(due).toEqual(['late']);
  });

  it('fires a cron policy on the real timers and validates expressions', async () => {
    expect(isValidCron('*/5 * * * *')).toBe(true);
    expect(isValidCron('every tuesday')).toBe(false);
    const due: string[] = [];
    const changes: MirrorSchedule[] = [];
    const s: Scheduler = new Scheduler({ clock: systemClock, onDue: (n) => { js.due(n); due.push(n); }, onChange: (c) => changes.push(...c) });
    const js = new JobSchedules(s, systemClock, createSilentLogger());
    cleanups.push(() => s.close());
    js.track('c', cronPolicy('* * * * * *'));
    js.arm('c');
    expect(changes[0]!.nextSchedule.getTime() - Date.now()).toBeLessThanOrEqual(1000);
    await new Promise((r) => setTimeout(r, 2200));
    expect(due.length).toBeGreaterThanOrEqual(1);
    expect(due.every((n) => n === 'c')).toBe(true);
  });
});

describe('worker control server and config checks', () => {
  function conf(dir: string, extra: string, mirrors: string): ReturnType<typeof parseWorkerConfig>['config'] {
    const text = `[global]\nname = "w9"\nlog_dir = "${dir}/log/{{.Name}}"\nmirror_dir = "${dir}/data"\n[manager]\napi_base = "http://127.0.0.1:9"\n${extra}\n[server]\nhostname = "127.0.0.1"\nlisten_port = 0\n${mirrors}`;
    const file = join(dir, 'worker.conf');
    writeFileSync(file, text);
    return parseWorkerConfig(text, file).config;
  }

  it('with a [manager] token, commands without it get 401; with it they are obeyed', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const w: Worker = await createWorker({
      config: conf(t.dir, 'token = "s3cret"', `[[mirrors]]\nname = "m"\nprovider = "command"\ncommand = "true"\ninterval = 600\n`),
      logger: createSilentLogger(),
      registerWaitMs: 0,
      maxBackoffMs: 200,
    });
    cleanups.push(() => w.halt());
    await w.start();
    const send = (body: unknown, token?: string): Promise<Response> =>
      fetch(w.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(body),
      });
    const ping = { cmd: 'ping', mirror_id: 'm', args: [], options: {} };
    expect((await send(ping)).status).toBe(401);
    expect((await send(ping, 'wrong')).status).toBe(401);
    const ok = await send(ping, 's3cret');
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ msg: 'OK' });
    const bad = await send({ cmd: 'explode', mirror_id: 'm' }, 's3cret');
    expect(bad.status).toBe(406);
    expect(await bad.json()).toEqual({ msg: 'Invalid Command' });
    const malformed = await send({ cmd: 7 }, 's3cret');
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toEqual({ msg: 'Invalid request' });
    await send({ cmd: 'disable', mirror_id: 'm', args: [], options: {} }, 's3cret');
    expect(w.jobs.get('m')!.state).toBe('disabled');
  });

  it('refuses to start with an invalid cron expression, naming file and key', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const config = conf(t.dir, '', `[[mirrors]]\nname = "m"\nprovider = "command"\ncommand = "true"\ncron = "every tuesday"\n`);
    await expect(createWorker({ config, logger: createSilentLogger() })).rejects.toThrow(
      `${join(t.dir, 'worker.conf')}: mirrors[0].cron: "every tuesday" is not a valid cron expression`,
    );
  });
});
