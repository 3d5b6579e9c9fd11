/**
 * Terminal injection: what a manager (or a worker through it) stores is
 * printed to an operator's terminal. Human output (tables, `--format`
 * lines, error messages) shows control characters escaped as `\x1b`, so no
 * escape sequence reaches the terminal and nothing is hidden; JSON output
 * stays as it is. The built bin against a small local HTTP server that
 * answers like a manager with crafted values (a tunasync-ts manager may
 * refuse such names, a tunasync one does not).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ManagerRequestError, createManagerClient } from '@tunasync/ctl';
import { cleanEnv, ctl, tempDir, type CtlEnv } from './helpers.js';

/** Retitles and erases the terminal (OSC, BEL, CSI), then C1 CSI, CR, DEL, NEL and a newline. */
const EVIL = '\u001b]0;pwned\u0007\u001b[2K\u009b2J\rX\u007f\u0085\nforged';
/** How EVIL is shown. */
const SHOWN = '\\x1b]0;pwned\\x07\\x1b[2K\\x9b2J\\x0dX\\x7f\\x85\\x0aforged';
/** Right-to-left override: reorders what follows on screen. */
const BIDI = 'ok\u202etxt.exe';
/** Any C0 control but the newline ending a line, DEL, any C1, and the bidi controls. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const ZERO = '0001-01-01T00:00:00Z';

const job = (name: string, worker: string, upstream: string, extra: Record<string, unknown> = {}) => ({
  name, worker, is_master: true, status: 'failed',
  last_update: ZERO, last_started: ZERO, last_ended: ZERO, next_schedule: ZERO,
  upstream, size: `1G${EVIL}`, error_msg: `rsync failed ${EVIL}`, ...extra,
});
const web = (name: string, upstream: string) => ({
  name, is_master: true, status: 'failed',
  last_update: '0001-01-01 00:00:00 +0000', last_update_ts: -62135596800,
  last_started: '0001-01-01 00:00:00 +0000', last_started_ts: -62135596800,
  last_ended: '0001-01-01 00:00:00 +0000', last_ended_ts: -62135596800,
  next_schedule: '0001-01-01 00:00:00 +0000', next_schedule_ts: -62135596800,
  upstream, size: `1G${EVIL}`,
});

/** A crafted answer per `METHOD path`: [status, body text]. */
const ANSWERS: Record<string, [number, string]> = {
  'GET /jobs': [200, JSON.stringify([web(`deb${EVIL}`, `rsync://up/${EVIL}`), web('plain', BIDI)])],
  'GET /workers': [200, JSON.stringify([{ id: `w${EVIL}`, url: `http://10.0.0.1/${EVIL}`, token: 'REDACTED', last_online: ZERO, last_register: ZERO }])],
  [`GET /workers/${encodeURIComponent(`w${EVIL}`)}/jobs`]: [200, '[]'],
  'GET /workers/w1/jobs': [200, JSON.stringify([job(`deb${EVIL}`, `w1${EVIL}`, `rsync://up/${EVIL}`), job('plain', 'w1', BIDI)])],
  // tunasync-ts: {error, code}; tunasync: {error} only.
  'GET /workers/coded/jobs': [400, JSON.stringify({ error: `invalid workerID coded${EVIL}`, code: 'invalid_worker_id' })],
  'GET /workers/plain/jobs': [400, JSON.stringify({ error: `invalid workerID plain${EVIL}` })],
  'GET /workers/text/jobs': [502, `bad gateway ${EVIL}`],
  'GET /workers/notjson/jobs': [200, `<html>${EVIL}</html>`],
  'GET /workers/badstatus/jobs': [200, JSON.stringify([job('x', 'badstatus', 'u', { status: `fine${EVIL}` })])],
  'POST /cmd': [500, JSON.stringify({ error: `post command to worker w1 fail: ${EVIL}`, code: 'worker_unreachable' })],
  'POST /workers/w1/jobs/deb/size': [200, JSON.stringify(job('deb', 'w1', 'u', { size: `9G${EVIL}` }))],
  'DELETE /workers/w1': [200, JSON.stringify({ message: `gone ${EVIL}` })],
};

let server: Server;
let env: CtlEnv;
let at: string[];
const t = tempDir();

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      const [status, body] = ANSWERS[`${req.method} ${req.url}`] ?? [404, JSON.stringify({ error: `no route for ${req.method} ${req.url}` })];
      res.writeHead(status, { 'content-type': body.startsWith('[') || body.startsWith('{') ? 'application/json' : 'text/html' }).end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  env = cleanEnv(t.dir);
  at = ['-m', '127.0.0.1', '-p', String((server.address() as AddressInfo).port)];
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  t.cleanup();
});

const tunasynctl = (...args: string[]) => ctl([...args, ...at], env);

/** Output with no control character but line ends, and the crafted value shown escaped. */
function expectSafe(text: string): void {
  expect(text).not.toMatch(CONTROL);
  expect(text).toContain(SHOWN);
}

describe('tables show control characters escaped', () => {
  it('list WORKER -o table: names, workers, sizes and upstreams', async () => {
    const r = await tunasynctl('list', 'w1', '-o', 'table');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expectSafe(r.stdout);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3); // a newline in a value does not start a row
    expect(lines[1]).toContain(`deb${SHOWN}`);
    expect(lines[1]).toContain(`w1${SHOWN}`);
    expect(lines[1]).toContain(`rsync://up/${SHOWN}`);
    expect(lines[2]).toContain('ok\\u202etxt.exe');
  });

  it('list --all -o table, with colour forced: only our own colour codes', async () => {
    const r = await ctl(['list', '-a', '-o', 'table', ...at], { ...env, vars: { FORCE_COLOR: '1' } });
    expect(r.code).toBe(0);
    // Strip our SGR colour codes; nothing else may be a control character.
    const bare = r.stdout.replace(/\x1b\[[0-9;]*m/g, '');
    expectSafe(bare);
    expect(bare.trimEnd().split('\n')).toHaveLength(3);
  });

  it('workers -o table', async () => {
    const r = await tunasynctl('workers', '-o', 'table');
    expect(r.code).toBe(0);
    expectSafe(r.stdout);
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(2);
    expect(r.stdout).toContain(`w${SHOWN}`);
  });
});

describe('--format lines show values escaped, the template itself as written', () => {
  it('list WORKER -f', async () => {
    const r = await tunasynctl('list', 'w1', '-f', '{{.Name}}|{{.Worker}}|{{.Upstream}}|{{.Size}}|{{.ErrorMsg}}');
    expect(r.code).toBe(0);
    expectSafe(r.stdout);
    expect(r.stdout).toBe(`deb${SHOWN}|w1${SHOWN}|rsync://up/${SHOWN}|1G${SHOWN}|rsync failed ${SHOWN}\nplain|w1|ok\\u202etxt.exe|1G${SHOWN}|rsync failed ${SHOWN}\n`);
  });

  it('list --all -f and workers -f; a tab the operator put in the template stays', async () => {
    const r = await tunasynctl('list', '-a', '-f', '{{.Name}}\t{{.Upstream}}');
    expect(r.stdout).toBe(`deb${SHOWN}\trsync://up/${SHOWN}\nplain\tok\\u202etxt.exe\n`);
    const w = await tunasynctl('workers', '-f', '{{.ID}} {{.URL}}');
    expectSafe(w.stdout);
    expect(w.stdout).toBe(`w${SHOWN} http://10.0.0.1/${SHOWN}\n`);
  });
});

describe('JSON output is unchanged', () => {
  it('list WORKER carries the values exactly (JSON escapes C0 controls itself)', async () => {
    const r = await tunasynctl('list', 'w1');
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
    const jobs = JSON.parse(r.stdout) as Record<string, string>[];
    expect(jobs[0]).toMatchObject({ name: `deb${EVIL}`, worker: `w1${EVIL}`, upstream: `rsync://up/${EVIL}`, error_msg: `rsync failed ${EVIL}` });
    expect(jobs[1]!.upstream).toBe(BIDI);
  });

  it('list --all and workers carry the values exactly', async () => {
    const all = JSON.parse((await tunasynctl('list', '-a')).stdout) as Record<string, string>[];
    expect(all[0]!.upstream).toBe(`rsync://up/${EVIL}`);
    const workers = JSON.parse((await tunasynctl('workers')).stdout) as Record<string, string>[];
    expect(workers[0]!.id).toBe(`w${EVIL}`);
  });
});

describe('error messages from the manager are escaped, with or without a code', () => {
  it.each([
    ['coded', `tunasynctl: invalid workerID coded${SHOWN}\n`],
    ['plain', `tunasynctl: invalid workerID plain${SHOWN}\n`],
    ['text', `tunasynctl: GET /workers/text/jobs answered HTTP 502: bad gateway ${SHOWN}\n`],
  ])('list %s', async (worker, stderr) => {
    expect(await tunasynctl('list', worker)).toEqual({ code: 1, stdout: '', stderr });
  });

  it('a 2xx that is not JSON or not a job names the problem, escaped', async () => {
    const html = await tunasynctl('list', 'notjson');
    expect(html.code).toBe(1);
    expect(html.stderr).toMatch(/^tunasynctl: the manager's answer to .*\/workers\/notjson\/jobs is not JSON: <html>/);
    expectSafe(html.stderr);
    const bad = await tunasynctl('list', 'badstatus');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^tunasynctl: the manager's answer to .* is malformed: /);
    expect(bad.stderr).not.toMatch(CONTROL);
    expect(bad.stderr.split('\n')).toHaveLength(2);
  });

  it('/cmd refused', async () => {
    expect(await tunasynctl('start', '-w', 'w1', 'deb')).toEqual({ code: 1, stdout: '', stderr: `tunasynctl: post command to worker w1 fail: ${SHOWN}\n` });
  });

  it('set-size mismatch', async () => {
    expect(await tunasynctl('set-size', '-w', 'w1', 'deb', '9G')).toEqual({
      code: 1, stdout: '', stderr: `tunasynctl: Mirror size error, expecting 9G, manager returned 9G${SHOWN}\n`,
    });
  });

  it('rm-worker not confirmed', async () => {
    expect(await tunasynctl('rm-worker', '-w', 'w1')).toEqual({
      code: 1, stdout: '', stderr: `tunasynctl: the manager did not confirm removing worker w1: gone ${SHOWN}\n`,
    });
  });

  it('--debug traces answers escaped', async () => {
    // JSON text carries C0 controls as \u001b, but C1 and DEL as they are.
    const r = await tunasynctl('list', 'w1', '--debug', '-o', 'table');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^debug: GET http:\/\/127\.0\.0\.1:\d+\/workers\/w1\/jobs -> 200 /m);
    expect(r.stderr).not.toMatch(CONTROL);
    expect(r.stderr).toContain('\\x9b2J');
  });
});

describe('ManagerRequestError keeps the manager\'s code when there is one', () => {
  it('managerCode from {error, code}; undefined from tunasync\'s {error}', async () => {
    const client = createManagerClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
    const coded = await client.listWorkerJobs('coded').catch((e: unknown) => e);
    expect(coded).toBeInstanceOf(ManagerRequestError);
    expect(coded).toMatchObject({ kind: 'rejected', status: 400, managerCode: 'invalid_worker_id', message: `invalid workerID coded${SHOWN}` });
    const plain = await client.listWorkerJobs('plain').catch((e: unknown) => e);
    expect(plain).toMatchObject({ kind: 'rejected', status: 400, message: `invalid workerID plain${SHOWN}` });
    expect((plain as ManagerRequestError).managerCode).toBeUndefined();
    const text = await client.listWorkerJobs('text').catch((e: unknown) => e);
    expect((text as ManagerRequestError).managerCode).toBeUndefined();
  });
});
