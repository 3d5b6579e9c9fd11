/**
 * Job commands over names and globs, `-w` only where needed (issue 21): the
 * built bin against a real manager and two real workers. w1 runs debian,
 * debian-security and ubuntu; w2 runs debian-cd, centos and ubuntu too.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createTestWorker } from '@tunasync/testkit';
import type { Worker } from '@tunasync/worker';
import { cleanEnv, ctl, registerWorker, reportJob, startTestManager, tempDir, until, type CtlEnv, type TestManager } from './helpers.js';

// Every test runs the built bin several times: a node start each, seconds on a loaded machine.
jest.setTimeout(120_000);

const t = tempDir();
let m: TestManager;
let w1: Worker;
let w2: Worker;
let env: CtlEnv;
let at: string[];

// Jobs run only when told (cron on New Year's midnight) and then sleep until stopped.
const mirror = (name: string): string =>
  `[[mirrors]]\nname = "${name}"\nprovider = "command"\ncommand = "sleep 30"\ncron = "0 0 1 1 *"\nupstream = "https://upstream.example/${name}/"\n`;

beforeAll(async () => {
  m = await startTestManager(t.dir);
  env = cleanEnv(t.dir);
  at = ['-m', '127.0.0.1', '-p', String(m.port)];
  const make = (name: string, mirrors: string[]) =>
    createTestWorker({ dir: mkdirSync(join(t.dir, name), { recursive: true })!, name, apiBase: m.url, global: { concurrent: 10, interval: 60 }, mirrors: mirrors.map(mirror).join('') });
  w1 = await make('w1', ['debian', 'debian-security', 'ubuntu']);
  w2 = await make('w2', ['debian-cd', 'centos', 'ubuntu']);
  await Promise.all([w1.start(), w2.start()]);
  // A worker reports a job when it first runs; these never ran here, so their last state is reported as a worker did before.
  for (const [w, jobs] of [['w1', ['debian', 'debian-security', 'ubuntu']], ['w2', ['debian-cd', 'centos', 'ubuntu']]] as const) {
    for (const job of jobs) await reportJob(m, w, job, 'success');
  }
});
afterAll(async () => {
  await Promise.all([w1?.halt(), w2?.halt()]);
  await m.close();
  t.cleanup();
});

const tunasynctl = (...args: string[]) => ctl([...args, ...at], env);

async function statusOf(worker: string, job: string): Promise<string | undefined> {
  const r = await m.call('GET', `/workers/${worker}/jobs`);
  return (r.body as { name: string; status: string }[]).find((j) => j.name === job)?.status;
}
const reaches = (worker: string, job: string, status: string) =>
  until(async () => ((await statusOf(worker, job)) === status ? true : undefined), `${job} on ${worker} ${status}`);

describe('globs and lists', () => {
  it('--dry-run lists what a glob names on each worker, sends nothing', async () => {
    const r = await tunasynctl('start', 'debian*', '--dry-run');
    expect(r).toEqual({
      code: 0,
      stdout: 'debian: would be started on w1\ndebian-security: would be started on w1\ndebian-cd: would be started on w2\n',
      stderr: '',
    });
    expect(w1.jobs.get('debian')!.state).toBe('none');
  });

  it('a glob over two workers\' mirrors starts and stops exactly the matching ones, one line each', async () => {
    const started = await tunasynctl('start', 'debian*');
    expect(started).toEqual({
      code: 0,
      stdout: 'debian: started on w1\ndebian-security: started on w1\ndebian-cd: started on w2\n',
      stderr: '',
    });
    await reaches('w1', 'debian', 'syncing');
    await reaches('w1', 'debian-security', 'syncing');
    await reaches('w2', 'debian-cd', 'syncing');
    // A glob and a plain name together; centos is named once even when matched twice.
    expect(await tunasynctl('start', 'cent?s', 'centos')).toEqual({ code: 0, stdout: 'centos: started on w2\n', stderr: '' });
    await reaches('w2', 'centos', 'syncing');

    const stopped = await tunasynctl('stop', 'debian*', '[c]*');
    expect(stopped).toEqual({
      code: 0,
      stdout: 'debian: stopped on w1\ndebian-security: stopped on w1\ndebian-cd: stopped on w2\ncentos: stopped on w2\n',
      stderr: '',
    });
    for (const [w, job] of [['w1', 'debian'], ['w1', 'debian-security'], ['w2', 'debian-cd'], ['w2', 'centos']] as const) await reaches(w, job, 'paused');
    await until(() => (w2.jobs.get('centos')!.state === 'paused' ? true : undefined), 'centos paused on the worker');
    // Nothing else was touched.
    expect(w1.jobs.get('ubuntu')!.state).toBe('none');
    expect(w2.jobs.get('ubuntu')!.state).toBe('none');
  });

  it('a glob that matches nothing is an error and nothing is sent', async () => {
    const r = await tunasynctl('start', 'fedora*', 'centos');
    expect(r).toEqual({ code: 1, stdout: '', stderr: 'tunasynctl: no mirror matches fedora*\ntunasynctl: nothing was started\n' });
    expect(w2.jobs.get('centos')!.state).toBe('paused');
    expect((await tunasynctl('stop', 'nothing')).stderr).toBe('tunasynctl: no worker has a mirror nothing\ntunasynctl: nothing was stopped\n');
  });
});

describe('-w only where needed', () => {
  it('a name on two workers without -w exits 1 listing both, and sends nothing', async () => {
    const r = await tunasynctl('start', 'ubuntu');
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr: 'tunasynctl: ubuntu is on several workers: w1, w2 (choose one with -w WORKER)\ntunasynctl: nothing was started\n',
    });
    expect(w1.jobs.get('ubuntu')!.state).toBe('none');
    expect(w2.jobs.get('ubuntu')!.state).toBe('none');
  });

  it('-w picks the worker; tunasync\'s form keeps tunasync\'s line', async () => {
    expect(await tunasynctl('ping', '-w', 'w2', 'ubuntu')).toEqual({ code: 0, stdout: 'Successfully send the command\n', stderr: '' });
    // tunasync's ARGS (comma-separated, passed along) when the second word is no job of the worker.
    expect(await tunasynctl('ping', '-w', 'w2', 'ubuntu', 'a,b')).toEqual({ code: 0, stdout: 'Successfully send the command\n', stderr: '' });
    // Two jobs of the worker: two commands, one line each.
    expect(await tunasynctl('ping', '-w', 'w2', 'ubuntu', 'centos')).toEqual({ code: 0, stdout: 'ubuntu: pinged on w2\ncentos: pinged on w2\n', stderr: '' });
    // A glob with -w looks at that worker only.
    expect(await tunasynctl('disable', '-w', 'w1', 'debian-*', '--dry-run')).toEqual({ code: 0, stdout: 'debian-security: would be disabled on w1\n', stderr: '' });
    expect((await tunasynctl('stop', '-w', 'w1', 'debian-c*')).stderr).toBe('tunasynctl: no mirror matches debian-c* on worker w1\ntunasynctl: nothing was stopped\n');
  });

  it('set-size without -w goes to the only worker; on two it lists them', async () => {
    expect(await tunasynctl('set-size', 'centos', '3.5G')).toEqual({ code: 0, stdout: 'Successfully updated mirror size to 3.5G\n', stderr: '' });
    expect((await m.call('GET', '/workers/w2/jobs')).body).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'centos', size: '3.5G' })]));
    expect(await tunasynctl('set-size', 'ubuntu', '1G')).toEqual({
      code: 1, stdout: '', stderr: 'tunasynctl: ubuntu is on several workers: w1, w2 (choose one with -w WORKER)\n',
    });
  });
});

describe('failures', () => {
  it('each job is acted on; the ones that fail are reported and the exit status is 1', async () => {
    await registerWorker(m, 'dead', 'http://127.0.0.1:1/');
    await reportJob(m, 'dead', 'debian-ports', 'success');
    const r = await tunasynctl('start', 'debian-ports', 'centos');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('centos: started on w2\n');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^tunasynctl: debian-ports: not started on dead: post command to worker dead\(http:\/\/127\.0\.0\.1:1\/\) fail: .*ECONNREFUSED/);
    expect(lines[1]).toBe('tunasynctl: 1 of 2 failed');
    await reaches('w2', 'centos', 'syncing');
    expect(await tunasynctl('stop', 'centos')).toEqual({ code: 0, stdout: 'centos: stopped on w2\n', stderr: '' });
  });

  it('--force only applies to start; no mirror is a usage error', async () => {
    expect((await tunasynctl('stop', 'centos', '-f')).stderr).toMatch(/^tunasynctl: Unknown argument: f/);
    const none = await tunasynctl('stop');
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/Not enough non-option arguments.*\(see tunasynctl stop --help\)/);
  });
});
