/**
 * Output for people and scripts (issue 21), the built bin against a real
 * manager: at a terminal (a pseudo-terminal from util-linux `script`)
 * `list`, `workers` and `history` draw tables; piped they print tunasync's
 * JSON byte for byte as before; TUNASYNCTL_OUTPUT and ctl.conf `output`
 * set the default; `--format` is unchanged.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runProgram } from '@tunasync/testkit';
import { CLI, cleanEnv, ctl, registerWorker, reportJob, startTestManager, tempDir, type CtlEnv, type TestManager } from './helpers.js';

// Every test runs the built bin several times: a node start each, seconds on a loaded machine.
jest.setTimeout(120_000);

const t = tempDir();
let m: TestManager;
let env: CtlEnv;
let at: string[];

beforeAll(async () => {
  m = await startTestManager(t.dir);
  env = cleanEnv(t.dir);
  at = ['-m', '127.0.0.1', '-p', String(m.port)];
  await registerWorker(m, 'w1');
  await reportJob(m, 'w1', 'debian', 'pre-syncing');
  await reportJob(m, 'w1', 'debian', 'success', { size: '12G' });
  await reportJob(m, 'w1', 'ubuntu', 'failed', { error_msg: 'rsync exited 23' });
  await m.call('POST', '/workers/w1/schedules', { schedules: [{ name: 'debian', next_schedule: new Date(Date.now() + 2 * 3600_000).toISOString() }] });
});
afterAll(async () => {
  await m.close();
  t.cleanup();
});

const quote = (s: string): string => `'${s.replace(/'/g, "'\\''")}'`;

/** Runs tunasynctl with stdout on a pseudo-terminal; returns what it printed (CR LF made LF). */
async function atTerminal(args: string[], vars: Record<string, string> = {}, home = env.home): Promise<string> {
  const command = [process.execPath, CLI, ...args, ...at].map(quote).join(' ');
  const r = await runProgram('script', ['-qfc', `stty cols 120 rows 40; ${command}`, '/dev/null'], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, TUNASYNCTL_SYSTEM_CONF: env.systemConf, TZ: 'UTC', NO_COLOR: '1', ...vars },
    timeoutMs: 20_000,
  });
  expect(r.code).toBe(0);
  return r.stdout.replace(/\r\n/g, '\n');
}

const tunasynctl = (...args: string[]) => ctl([...args, ...at], env);
const indented = (body: unknown): string => `${JSON.stringify(body, null, 2)}\n`;

describe('piped: tunasync\'s JSON, byte for byte', () => {
  it('list WORKER, list --all and workers print the manager\'s answers, indented as tunasync does', async () => {
    const list = await tunasynctl('list', 'w1');
    expect(list).toEqual({ code: 0, stdout: indented((await m.call('GET', '/workers/w1/jobs')).body), stderr: '' });
    const all = await tunasynctl('list', '--all');
    expect(all.stdout).toBe(indented((await m.call('GET', '/jobs')).body));
    const workers = await tunasynctl('workers');
    expect(workers.stdout).toBe(indented((await m.call('GET', '/workers')).body));
    expect((await tunasynctl('list', 'w1', '-o', 'json')).stdout).toBe(list.stdout);
  });

  it('ctl.conf output = "table" draws a table even when piped; -o json wins', async () => {
    const home = join(t.dir, 'table-home');
    mkdirSync(join(home, '.config', 'tunasync'), { recursive: true });
    writeFileSync(join(home, '.config', 'tunasync', 'ctl.conf'), 'output = "table"\n');
    const r = await ctl(['list', 'w1', ...at], { ...env, home });
    expect(r.stdout).toMatch(/^NAME +WORKER +STATUS +LAST UPDATE +NEXT RUN +SIZE +UPSTREAM\n/);
    expect((await ctl(['list', 'w1', '-o', 'json', ...at], { ...env, home })).stdout).toBe(indented((await m.call('GET', '/workers/w1/jobs')).body));
    // A --format template is unchanged by the setting.
    expect((await ctl(['list', 'w1', '-f', '{{.Name}}', ...at], { ...env, home })).stdout).toBe('debian\nubuntu\n');
  });

  it('a bad TUNASYNCTL_OUTPUT is an error naming it', async () => {
    expect(await ctl(['list', 'w1', ...at], { ...env, vars: { TUNASYNCTL_OUTPUT: 'yaml' } })).toEqual({
      code: 1, stdout: '', stderr: 'tunasynctl: TUNASYNCTL_OUTPUT must be json, table or auto, not "yaml"\n',
    });
  });
});

describe('at a terminal: tables', () => {
  it('list WORKER draws the jobs with their next run', async () => {
    const out = await atTerminal(['list', 'w1']);
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME +WORKER +STATUS +LAST UPDATE +NEXT RUN +SIZE +UPSTREAM$/);
    expect(lines[1]).toMatch(/^debian +w1 +success +(just now|\d+[sm] ago) +in (1h5\dm|2h) +12G +rsync:\/\/upstream\.example\/debian\/$/);
    expect(lines[2]).toMatch(/^ubuntu +w1 +failed +never +- +unknown +rsync/);
    expect(lines).toHaveLength(3);
  });

  it('list --all, workers and history draw tables too', async () => {
    expect(await atTerminal(['list', '--all'])).toMatch(/^NAME +WORKER +STATUS[^\n]*\ndebian +w1 +success/);
    expect(await atTerminal(['workers'])).toMatch(/^ID +URL +LAST ONLINE +LAST REGISTER\nw1 +http:\/\/127\.0\.0\.1:1\/ +(just now|\d+[sm] ago)/);
    expect(await atTerminal(['history', 'debian'])).toMatch(/^RUN +STARTED +DURATION +RESULT[^\n]*\n\S+ +\d{4}-.* success /);
  });

  it('TUNASYNCTL_OUTPUT=json and ctl.conf output = "json" keep JSON at a terminal', async () => {
    const json = indented((await m.call('GET', '/workers/w1/jobs')).body);
    expect(await atTerminal(['list', 'w1'], { TUNASYNCTL_OUTPUT: 'json' })).toBe(json);
    const home = join(t.dir, 'json-home');
    mkdirSync(join(home, '.config', 'tunasync'), { recursive: true });
    writeFileSync(join(home, '.config', 'tunasync', 'ctl.conf'), 'output = "json"\n');
    expect(await atTerminal(['list', 'w1'], {}, home)).toBe(json);
    // The environment wins over ctl.conf.
    expect(await atTerminal(['list', 'w1'], { TUNASYNCTL_OUTPUT: 'table' }, home)).toMatch(/^NAME +WORKER/);
  });
});
