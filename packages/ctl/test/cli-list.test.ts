/**
 * `tunasynctl list` and `workers`, the built bin against a real manager:
 * JSON as tunasync prints it, the status filter, Go templates and tables.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cleanEnv, ctl, registerWorker, reportJob, startTestManager, tempDir, type CtlEnv, type TestManager } from './helpers.js';

const t = tempDir();
let m: TestManager;
let env: CtlEnv;
let at: string[];
// The manager's clock stands 3.5 days back, so its timestamps read "3d ago";
// next runs are 2.5 and 5.5 days ahead ("in 2d", "in 5d"). Relative times in
// days keep their text for half a day however slowly the tests run.
const DAY = 86_400_000;
const t0 = new Date(Math.floor(Date.now() / 1000) * 1000 - 3.5 * DAY);
const iso = (ms: number): string => new Date(t0.getTime() + ms).toISOString();
const DEBIAN_NEXT = 6 * DAY;
const UBUNTU_NEXT = 9 * DAY;

beforeAll(async () => {
  m = await startTestManager(t.dir, { clock: { now: () => new Date(t0) } });
  env = cleanEnv(t.dir);
  at = ['-m', '127.0.0.1', '-p', String(m.port)];
  await registerWorker(m, 'w1', 'http://10.0.0.1:6000/');
  await registerWorker(m, 'w2', 'http://10.0.0.2:6000/');
  await reportJob(m, 'w1', 'debian', 'success', { size: '1.5T', next_schedule: iso(DEBIAN_NEXT) });
  await reportJob(m, 'w1', 'ubuntu', 'failed', { error_msg: 'rsync exited with 23', next_schedule: iso(UBUNTU_NEXT) });
  await reportJob(m, 'w2', 'arch', 'syncing', { size: '80G' });
  await reportJob(m, 'w2', 'old', 'disabled');
  // A removed worker's job stays in /jobs (as in tunasync).
  await registerWorker(m, 'w3');
  await reportJob(m, 'w3', 'orphan', 'paused');
  expect((await m.call('DELETE', '/workers/w3')).status).toBe(200);
});
afterAll(async () => {
  await m.close();
  t.cleanup();
});

const list = (...args: string[]) => ctl(['list', ...at, ...args], env);
const names = (stdout: string): string[] => (JSON.parse(stdout) as { name: string }[]).map((j) => j.name);

describe('list as JSON', () => {
  it('--all prints GET /jobs as indented WebMirrorStatus JSON', async () => {
    const r = await list('--all');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout.startsWith('[\n  {\n    "name": "debian",\n    "is_master": true,')).toBe(true);
    expect(r.stdout.endsWith(']\n')).toBe(true);
    const jobs = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(jobs.map((j) => j.name)).toEqual(['debian', 'ubuntu', 'arch', 'old', 'orphan']);
    const debian = jobs[0]!;
    expect(Object.keys(debian)).toEqual([
      'name', 'is_master', 'status', 'last_update', 'last_update_ts', 'last_started', 'last_started_ts',
      'last_ended', 'last_ended_ts', 'next_schedule', 'next_schedule_ts', 'upstream', 'size',
    ]);
    expect(debian).toMatchObject({ status: 'success', size: '1.5T', last_update_ts: t0.getTime() / 1000, last_started: '0001-01-01 00:00:00 +0000' });
    expect(debian.last_update).toBe(t0.toISOString().replace('T', ' ').replace('.000Z', ' +0000'));
  });

  it('WORKER… prints each worker\'s MirrorStatus, in the order named', async () => {
    const r = await list('w2', 'w1');
    expect(r.code).toBe(0);
    const jobs = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(jobs.map((j) => `${j.worker}/${j.name}`)).toEqual(['w2/arch', 'w2/old', 'w1/debian', 'w1/ubuntu']);
    expect(Object.keys(jobs[0]!)).toEqual(['name', 'worker', 'is_master', 'status', 'last_update', 'last_started', 'last_ended', 'next_schedule', 'upstream', 'size', 'error_msg']);
    expect(jobs[3]).toMatchObject({ status: 'failed', error_msg: 'rsync exited with 23', last_ended: t0.toISOString().replace('.000Z', 'Z') });
  });

  it('-s keeps the statuses named (comma-separated, spaces allowed), with --all or workers', async () => {
    expect(names((await list('-a', '-s', 'success,failed')).stdout)).toEqual(['debian', 'ubuntu']);
    expect(names((await list('w2', '--status', 'disabled, syncing')).stdout)).toEqual(['arch', 'old']);
  });

  it('-s paused finds the removed worker\'s job; a status no job has lists nothing', async () => {
    expect(names((await list('-a', '-s', 'paused')).stdout)).toEqual(['orphan']);
    const none = await list('-a', '-s', 'pre-syncing');
    expect(none).toMatchObject({ code: 0, stdout: '[]\n' });
  });

  it('-s with an unknown status is an error, exit 1, before anything is printed', async () => {
    const r = await list('-a', '-s', 'success,broken');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('tunasynctl: unknown status "broken" in --status (known: none, failed, success, syncing, pre-syncing, paused, disabled)\n');
  });

  it('needs workers or --all, and names an unknown worker', async () => {
    expect(await list()).toMatchObject({ code: 1, stdout: '', stderr: 'tunasynctl: list needs WORKER names or --all\n' });
    expect(await list('w1', 'nosuch')).toMatchObject({ code: 1, stdout: '', stderr: 'tunasynctl: invalid workerID nosuch\n' });
    const both = await list('-a', 'w1');
    expect(both.code).toBe(0);
    expect(names(both.stdout)).toHaveLength(5);
    expect(both.stderr).toBe('tunasynctl: warning: --all lists every worker; ignoring w1\n');
  });
});

describe('list --format', () => {
  it('prints one line per job from a Go template', async () => {
    expect((await list('-a', '-f', '{{.Name}} {{.Status}} {{.Size}}')).stdout).toBe('debian success 1.5T\nubuntu failed unknown\narch syncing 80G\nold disabled unknown\norphan paused unknown\n');
    const r = await list('w1', '--format', '{{.Worker}}:{{.Name}}:{{.ErrorMsg}}:{{.IsMaster}}');
    expect(r.stdout).toBe('w1:debian::true\nw1:ubuntu:rsync exited with 23:true\n');
  });

  it('prints times as Go does, and takes Go layouts and methods', async () => {
    const goTime = t0.toISOString().replace('T', ' ').replace('.000Z', ' +0000 UTC');
    const r = await list('w1', '-s', 'success', '-f', '{{.LastUpdate}}|{{.LastStarted}}|{{.Scheduled.Unix}}|{{.LastEnded.Format "2006-01-02"}}');
    expect(r.stdout).toBe(`${goTime}|0001-01-01 00:00:00 +0000 UTC|${(t0.getTime() + DEBIAN_NEXT) / 1000}|${t0.toISOString().slice(0, 10)}\n`);
    const web = await list('-a', '-s', 'success', '-f', '{{.LastUpdateTs.Unix}} {{.NextSchedule.Unix}} {{printf "%-8s|" .Name}}');
    expect(web.stdout).toBe(`${t0.getTime() / 1000} ${(t0.getTime() + DEBIAN_NEXT) / 1000} debian  |\n`);
  });

  it('shows times in the local zone', async () => {
    const shanghai = { ...env, vars: { TZ: 'Asia/Shanghai' } };
    const r = await ctl(['list', ...at, 'w1', '-s', 'success', '-f', '{{.LastUpdate.Format "15:04 -0700"}}'], shanghai);
    const h = (t0.getUTCHours() + 8) % 24;
    expect(r.stdout).toBe(`${String(h).padStart(2, '0')}:${String(t0.getUTCMinutes()).padStart(2, '0')} +0800\n`);
    const json = await ctl(['list', ...at, '-a', '-s', 'success'], shanghai);
    expect((JSON.parse(json.stdout) as { last_update: string }[])[0]!.last_update).toMatch(/ \+0800$/);
  });

  it('refuses a bad template before asking the manager', async () => {
    const dead = ['-m', '127.0.0.1', '-p', '1'];
    const typo = await ctl(['list', ...dead, 'w1', '-f', '{{.Nmae}}'], env);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toMatch(/^tunasynctl: template: can't evaluate field Nmae in type MirrorStatus \(fields: Name, Worker, /);
    expect(typo.stderr.split('\n')).toHaveLength(2);
    const noWorker = await ctl(['list', ...dead, '-a', '-f', '{{.Worker}}'], env);
    expect(noWorker.stderr).toMatch(/can't evaluate field Worker in type WebMirrorStatus .*name workers \(list WORKER…\) for MirrorStatus/);
    expect((await ctl(['list', ...dead, '-a', '-f', '{{if .Name}}'], env)).stderr).toMatch(/template: unexpected EOF: \{\{if\}\} has no \{\{end\}\}/);
  });
});

describe('list --output table', () => {
  it('aligns every job with its worker, relative times and no colour when not a terminal', async () => {
    const r = await list('-a', '-o', 'table');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME +WORKER +STATUS +LAST UPDATE +NEXT RUN +SIZE +UPSTREAM$/);
    expect(lines.slice(1).map((l) => l.split(/ {2,}/))).toEqual([
      ['debian', 'w1', 'success', '3d ago', 'in 2d', '1.5T', 'rsync://upstream.example/debian/'],
      ['ubuntu', 'w1', 'failed', 'never', 'in 5d', 'unknown', 'rsync://upstream.example/ubuntu/'],
      ['arch', 'w2', 'syncing', 'never', '-', '80G', 'rsync://upstream.example/arch/'],
      ['old', 'w2', 'disabled', 'never', '-', 'unknown', 'rsync://upstream.example/old/'],
      ['orphan', '-', 'paused', 'never', '-', 'unknown', 'rsync://upstream.example/orphan/'],
    ]);
    const col = (name: string): number => lines[0]!.indexOf(name);
    for (const l of lines.slice(1)) expect(l[col('STATUS') - 1]).toBe(' ');
    expect(lines[1]!.indexOf('success')).toBe(col('STATUS'));
    expect(lines[3]!.indexOf('syncing')).toBe(col('STATUS'));
    expect(r.stdout).not.toMatch(/\x1b/);
  });

  it('filters by status and colours statuses when colour is forced', async () => {
    const r = await ctl(['list', ...at, 'w1', '-s', 'failed', '-o', 'table'], { ...env, vars: { FORCE_COLOR: '1' } });
    expect(r.stdout).toMatch(/\x1b\[1mNAME/);
    expect(r.stdout).toMatch(/\x1b\[31mfailed\x1b\[0m/);
    expect(r.stdout).not.toMatch(/debian/);
    const off = await ctl(['list', ...at, 'w1', '-o', 'table'], { ...env, vars: { FORCE_COLOR: '1', NO_COLOR: '1' } });
    expect(off.stdout).not.toMatch(/\x1b/);
  });

  it('does not mix with --format and knows only json and table', async () => {
    expect(await list('-a', '-o', 'table', '-f', '{{.Name}}')).toMatchObject({ code: 1, stderr: 'tunasynctl: use --format or --output table, not both\n' });
    const bad = await list('-a', '-o', 'xml');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^tunasynctl: Invalid values:.*xml.*\(see tunasynctl list --help\)\n$/s);
  });
});

describe('workers', () => {
  it('prints workers as JSON, tokens redacted', async () => {
    const r = await ctl(['workers', ...at], env);
    expect(r.code).toBe(0);
    const workers = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(workers.map((w) => [w.id, w.url, w.token])).toEqual([['w1', 'http://10.0.0.1:6000/', 'REDACTED'], ['w2', 'http://10.0.0.2:6000/', 'REDACTED']]);
    expect(Object.keys(workers[0]!)).toEqual(['id', 'url', 'token', 'last_online', 'last_register']);
  });

  it('prints a table or a template per worker', async () => {
    const table = await ctl(['workers', ...at, '-o', 'table'], env);
    expect(table.stdout.split('\n').map((l) => l.split(/ {2,}/))).toEqual([
      ['ID', 'URL', 'LAST ONLINE', 'LAST REGISTER'],
      ['w1', 'http://10.0.0.1:6000/', '3d ago', '3d ago'],
      ['w2', 'http://10.0.0.2:6000/', '3d ago', '3d ago'],
      [''],
    ]);
    const tpl = await ctl(['workers', ...at, '-f', '{{.ID}} {{.URL}} {{.LastRegister.Unix}}'], env);
    expect(tpl.stdout).toBe(`w1 http://10.0.0.1:6000/ ${t0.getTime() / 1000}\nw2 http://10.0.0.2:6000/ ${t0.getTime() / 1000}\n`);
  });
});
