/**
 * The commands that reach a worker (start, stop, disable, restart, ping,
 * reload) and the ones that change the manager (set-size, flush,
 * rm-worker): the built bin against a real manager and a real worker.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSilentLogger, loadWorkerConfig } from '@tunasync/core';
import { createWorker, type Worker } from '@tunasync/worker';
import { cleanEnv, ctl, registerWorker, reportJob, startTestManager, tempDir, until, type CtlEnv, type TestManager } from './helpers.js';

// Every test runs the built bin several times: a node start each, seconds on a loaded machine.
jest.setTimeout(120_000);

const t = tempDir();
let m: TestManager;
let w: Worker;
let env: CtlEnv;
let at: string[];
let conf: string;

// Jobs run only when told: their cron falls on New Year's midnight.
const mirror = (name: string, command: string): string =>
  `[[mirrors]]\nname = "${name}"\nprovider = "command"\ncommand = "${command}"\ncron = "0 0 1 1 *"\nupstream = "https://upstream.example/${name}/"\n`;

beforeAll(async () => {
  m = await startTestManager(t.dir);
  env = cleanEnv(t.dir);
  at = ['-m', '127.0.0.1', '-p', String(m.port)];
  writeFileSync(join(t.dir, 'quick.sh'), '#!/bin/sh\necho synced\n', { mode: 0o755 });
  conf = join(t.dir, 'worker.conf');
  writeFileSync(
    conf,
    `[global]\nname = "w1"\nlog_dir = "${t.dir}/log/{{.Name}}"\nmirror_dir = "${t.dir}/data"\nconcurrent = 1\ninterval = 60\n` +
      `[manager]\napi_base = "${m.url}"\n[server]\nhostname = "127.0.0.1"\nlisten_addr = "127.0.0.1"\nlisten_port = 0\n` +
      mirror('quick', `${t.dir}/quick.sh`) + mirror('slow', 'sleep 30') + mirror('second', 'sleep 30'),
  );
  w = await createWorker({ config: loadWorkerConfig(conf).config, logger: createSilentLogger(), graceMs: 300, maxBackoffMs: 200, registerWaitMs: 3000 });
  await w.start();
  expect(await w.flushReports()).toBe(true);
});
afterAll(async () => {
  await w.halt();
  await m.close();
  t.cleanup();
});

const tunasynctl = (...args: string[]) => ctl([...args, ...at], env);
const SENT = { code: 0, stdout: 'Successfully send the command\n', stderr: '' };

async function statusOf(job: string): Promise<string | undefined> {
  const r = await m.call('GET', '/workers/w1/jobs');
  return (r.body as { name: string; status: string }[]).find((j) => j.name === job)?.status;
}
const reaches = (job: string, status: string) => until(async () => ((await statusOf(job)) === status ? true : undefined), `${job} ${status}`);

describe('job commands through the manager to the worker', () => {
  it('ping and start a job', async () => {
    expect(await tunasynctl('ping', '-w', 'w1', 'quick')).toEqual(SENT);
    expect(await tunasynctl('start', '-w', 'w1', 'quick')).toEqual(SENT);
    await reaches('quick', 'success');
  });

  it('set-size checks what the manager stored', async () => {
    expect(await tunasynctl('set-size', '-w', 'w1', 'quick', '2.5G')).toEqual({ code: 0, stdout: 'Successfully updated mirror size to 2.5G\n', stderr: '' });
    expect((await m.call('GET', '/workers/w1/jobs')).body).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'quick', size: '2.5G' })]));
    // The manager keeps a size for "unknown"; set-size notices the difference.
    expect(await tunasynctl('set-size', '-w', 'w1', 'quick', 'unknown')).toEqual({
      code: 1, stdout: '', stderr: 'tunasynctl: Mirror size error, expecting unknown, manager returned 2.5G\n',
    });
  });

  it('set-size names an unknown job; without -w it finds the worker', async () => {
    expect(await tunasynctl('set-size', '-w', 'w1', 'ghost', '1G')).toMatchObject({ code: 1, stderr: 'tunasynctl: job ghost of worker w1 not found\n' });
    expect(await tunasynctl('set-size', 'ghost', '1G')).toEqual({ code: 1, stdout: '', stderr: 'tunasynctl: no worker has a mirror ghost\n' });
    expect(await tunasynctl('set-size', 'quick', '2.5G')).toEqual({ code: 0, stdout: 'Successfully updated mirror size to 2.5G\n', stderr: '' });
  });

  it('start -f runs past the concurrency limit; stop pauses; restart runs again', async () => {
    expect(await tunasynctl('start', '-w', 'w1', 'slow')).toEqual(SENT);
    await reaches('slow', 'syncing');
    // concurrent = 1 and slow holds the slot: only a forced start runs now.
    expect(await tunasynctl('start', '--worker', 'w1', 'second', '--force')).toEqual(SENT);
    await reaches('second', 'syncing');
    expect(await statusOf('slow')).toBe('syncing');
    expect(await tunasynctl('stop', '-w', 'w1', 'second')).toEqual(SENT);
    await until(() => (w.jobs.get('second')!.state === 'paused' ? true : undefined), 'second paused');
    expect(await statusOf('second')).toBe('paused');

    const slow = w.jobs.get('slow')!;
    const restarted = new Promise<string>((resolve) => {
      let ended = false;
      slow.on('run-end', () => (ended = true));
      slow.on('status', (e) => {
        if (ended && e.status === 'syncing') resolve(e.status);
      });
    });
    expect(await tunasynctl('restart', '-w', 'w1', 'slow')).toEqual(SENT);
    expect(await restarted).toBe('syncing');

    expect(await tunasynctl('stop', '-w', 'w1', 'slow')).toEqual(SENT);
    await until(() => (slow.state === 'paused' ? true : undefined), 'slow paused');
    await reaches('slow', 'paused');
    const force = await tunasynctl('stop', '-w', 'w1', 'slow', '-f');
    expect(force.code).toBe(1);
    expect(force.stderr).toMatch(/^tunasynctl: Unknown argument: f/);
  });

  it('disable takes a job out, flush deletes disabled jobs from the manager', async () => {
    expect(await tunasynctl('disable', '-w', 'w1', 'quick')).toEqual(SENT);
    await until(() => (w.jobs.get('quick')!.state === 'disabled' ? true : undefined), 'quick disabled');
    expect(await statusOf('quick')).toBe('disabled');
    expect(await tunasynctl('flush')).toEqual({ code: 0, stdout: 'Successfully flushed disabled jobs\n', stderr: '' });
    expect(await statusOf('quick')).toBeUndefined();
    expect(await statusOf('slow')).toBe('paused');
  });

  it('reload makes the worker read its config again', async () => {
    appendFileSync(conf, mirror('added', `${t.dir}/quick.sh`));
    expect(await tunasynctl('reload', '-w', 'w1')).toEqual(SENT);
    await until(() => (w.jobs.has('added') ? true : undefined), 'job added by reload');
    const noWorker = await tunasynctl('reload');
    expect(noWorker.code).toBe(1);
    expect(noWorker.stderr).toMatch(/Missing required argument: worker/);
  });

  it('passes on what the worker or manager refused, exit 1', async () => {
    expect(await tunasynctl('ping', '-w', 'w1', 'nope')).toEqual({ code: 1, stdout: '', stderr: 'tunasynctl: worker w1 answered 404: Mirror nope not found\n' });
    expect(await tunasynctl('start', '-w', 'ghost', 'x')).toEqual({ code: 1, stdout: '', stderr: 'tunasynctl: worker ghost is not registered yet\n' });
    await registerWorker(m, 'dead', 'http://127.0.0.1:1/');
    const dead = await tunasynctl('start', '-w', 'dead', 'x');
    expect(dead.code).toBe(1);
    expect(dead.stderr).toMatch(/^tunasynctl: post command to worker dead\(http:\/\/127\.0\.0\.1:1\/\) fail: .*ECONNREFUSED.*\n$/);
    const noMirror = await tunasynctl('start', '-w', 'w1');
    expect(noMirror.code).toBe(1);
    expect(noMirror.stderr).toMatch(/Not enough non-option arguments.*\(see tunasynctl start --help\)/);
  });
});

describe('rm-worker', () => {
  it('removes a worker and names an unknown one', async () => {
    await registerWorker(m, 'retired', 'http://127.0.0.1:2/');
    expect(await tunasynctl('rm-worker', '-w', 'retired')).toEqual({ code: 0, stdout: 'Successfully removed the worker\n', stderr: '' });
    const workers = await tunasynctl('workers');
    expect((JSON.parse(workers.stdout) as { id: string }[]).map((x) => x.id)).not.toContain('retired');
    expect(await tunasynctl('rm-worker', '-w', 'retired')).toEqual({ code: 1, stdout: '', stderr: 'tunasynctl: invalid workerID retired\n' });
    expect((await tunasynctl('rm-worker')).code).toBe(1);
  });

  it('says in its help what happens to the jobs', async () => {
    const overview = await ctl(['--help'], env);
    expect(overview.stdout).toMatch(/tunasynctl rm-worker +Remove a worker from the manager \(its jobs stay listed\)/);
    const help = await ctl(['rm-worker', '--help'], env);
    expect(help.code).toBe(0);
    const text = help.stdout.replace(/\s+/g, ' ');
    expect(text).toContain('Its jobs are not removed: they stay in list --all (as in tunasync)');
    expect(text).toContain('flush removes the disabled ones');
    expect(text).toContain('reload -w WORKER');
    expect(text).toContain('registers again at its next report');
  });

  it('does what its help says: the jobs stay listed, flush removes the disabled ones', async () => {
    await registerWorker(m, 'gone', 'http://127.0.0.1:3/');
    await reportJob(m, 'gone', 'kept', 'success');
    await reportJob(m, 'gone', 'off', 'disabled');
    expect(await tunasynctl('rm-worker', '-w', 'gone')).toMatchObject({ code: 0 });
    const all = async (): Promise<string[]> => ((await m.call('GET', '/jobs')).body as { name: string }[]).map((j) => j.name);
    expect(await all()).toEqual(expect.arrayContaining(['kept', 'off']));
    expect(await m.call('GET', '/workers/gone/jobs')).toMatchObject({ status: 400, body: { error: 'invalid workerID gone' } });
    expect(await tunasynctl('flush')).toMatchObject({ code: 0 });
    const after = await all();
    expect(after).toContain('kept');
    expect(after).not.toContain('off');
  });
});
