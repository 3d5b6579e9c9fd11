/**
 * `tunasynctl mirror MIRROR`, the built bin against a small local HTTP
 * server answering `GET /jobs/:mirror` with crafted bodies (statuses per
 * worker, `last_run`, `stats`), and a tunasync-like manager (plain-text 404).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { serve, type Served } from '@tunasync/testkit';
import { parseMirrorView } from '@tunasync/ctl';
import { cleanEnv, ctl, tempDir, type CtlEnv } from './helpers.js';

const t = tempDir();
let server: Served;
let tunasync: Served;
let env: CtlEnv;
let at: string[];

const DAY = 86_400_000;
const base = Math.floor(Date.now() / 1000) * 1000;
const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');
const t1 = base - 3.5 * DAY;
const abs = (ms: number): string => iso(ms).replace('T', ' ').replace('Z', '');
const ZERO = '0001-01-01T00:00:00Z';
const EVIL = '\u001b]0;pwned\u0007\r\nforged';
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

const status = (worker: string, s: string, extra: Record<string, unknown> = {}) => ({
  name: 'debian', worker, is_master: true, status: s, last_update: iso(t1), last_started: iso(t1), last_ended: iso(t1),
  next_schedule: ZERO, upstream: 'rsync://up/debian/', size: '1.5T', error_msg: '', ...extra,
});
const LAST_RUN = {
  run_id: '6f1c2a9e-0000-4000-8000-00000000000a', worker: 'w1', mirror: 'debian', trigger: 'schedule',
  started_at: iso(t1), ended_at: iso(t1 + 192_000), duration_s: 192, result: 'success', attempts: 1,
  exit_code: 0, error_msg: '', size: '1.5T', transferred_bytes: 2048, files_transferred: 3, log_file: 'debian.log',
};
const STATS = { runs: 200, failures: 3, success_rate: 0.985, median_duration_s: 192, p95_duration_s: 600, last_success_at: iso(t1 + 192_000) };
const DEBIAN = { name: 'debian', jobs: [status('w1', 'success'), status(`w2${EVIL}`, 'failed', { error_msg: 'rsync exited with 23' })], last_run: LAST_RUN, stats: STATS };
/** /jobs' WebMirrorStatus with a worker, no runs yet. */
const WEB = {
  workers: [{
    name: 'fresh', worker: 'w1', is_master: true, status: 'syncing',
    last_update: '0001-01-01 00:00:00 +0000', last_update_ts: -62135596800, last_started: '0001-01-01 00:00:00 +0000', last_started_ts: -62135596800,
    last_ended: '0001-01-01 00:00:00 +0000', last_ended_ts: -62135596800, next_schedule: '0001-01-01 00:00:00 +0000', next_schedule_ts: -62135596800,
    upstream: 'rsync://up/fresh/', size: 'unknown',
  }],
  last_run: null,
  stats: { runs: 0, failures: 0, success_rate: null, median_duration_s: null, p95_duration_s: null, last_success_at: null },
};

const ANSWERS: Record<string, [number, unknown]> = {
  '/jobs/debian': [200, DEBIAN],
  '/jobs/fresh': [200, WEB],
  '/jobs/nope': [404, { error: 'no mirror nope on any worker', code: 'mirror_not_found' }],
  '/jobs/broken': [200, { jobs: [], last_run: null, stats: { runs: 'many' } }],
};

function answer(req: IncomingMessage, res: ServerResponse): void {
  const [status, body] = ANSWERS[req.url ?? ''] ?? [404, { error: 'no route', code: 'no_route' }];
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

beforeAll(async () => {
  server = await serve(answer);
  tunasync = await serve((_req, res) => void res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found'));
  env = cleanEnv(t.dir);
  at = ['-m', '127.0.0.1', '-p', String(server.port)];
});
afterAll(async () => {
  await server.close();
  await tunasync.close();
  t.cleanup();
});

const mirror = (...args: string[]) => ctl(['mirror', ...args, ...at], env);

describe('tunasynctl mirror', () => {
  it('piped: the manager\'s answer as it came', async () => {
    const r = await mirror('debian');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe(`${JSON.stringify(DEBIAN, null, 2)}\n`);
  });

  it('-o table: statuses per worker (escaped), the last run, the stats', async () => {
    const r = await mirror('debian', '-o', 'table');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).not.toMatch(CONTROL);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^NAME\s+WORKER\s+STATUS/);
    expect(lines[1]!.split(/\s{2,}/).slice(0, 3)).toEqual(['debian', 'w1', 'success']);
    expect(lines[2]!.split(/\s{2,}/).slice(0, 3)).toEqual(['debian', 'w2\\x1b]0;pwned\\x07\\x0d\\x0aforged', 'failed']);
    expect(lines[4]).toBe('Last run:');
    expect(lines[6]!.split(/\s{2,}/)).toEqual(['6f1c2a9e', `${abs(t1)} (3d ago)`, '3m12s', 'success', '0', '2K', '3', 'schedule', 'w1']);
    expect(lines[8]).toBe(`Stats: runs 200, failures 3, success 98.5%, median 3m12s, p95 10m0s, last success ${abs(t1 + 192_000)} (3d ago)`);
  });

  it('reads /jobs\' WebMirrorStatus with a worker, and a mirror with no runs', async () => {
    const r = await mirror('fresh', '-o', 'table');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[1]!.split(/\s{2,}/).slice(0, 3)).toEqual(['fresh', 'w1', 'syncing']);
    expect(r.stdout).toContain('\nLast run: none recorded\n');
    expect(r.stdout).toContain('\nStats: runs 0, failures 0, last success never\n');
    expect(parseMirrorView(WEB).statuses[0]).toMatchObject({ worker: 'w1', name: 'fresh', status: 'syncing', errorMsg: '' });
  });

  it('tunasync\'s manager: one clear line; an unknown mirror: the manager\'s message; a bad answer named', async () => {
    expect(await ctl(['mirror', 'debian', '-m', '127.0.0.1', '-p', String(tunasync.port)], env)).toEqual({
      code: 1, stdout: '', stderr: 'tunasynctl: this manager keeps no run history (tunasync\'s manager?)\n',
    });
    expect(await mirror('nope')).toEqual({ code: 1, stdout: '', stderr: 'tunasynctl: no mirror nope on any worker\n' });
    const broken = await mirror('broken');
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/^tunasynctl: the manager's answer to .*\/jobs\/broken is malformed: stats\.runs: must be a number\n$/);
  });
});
