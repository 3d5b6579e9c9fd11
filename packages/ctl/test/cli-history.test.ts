/**
 * `tunasynctl history`, the built bin against a small local HTTP server
 * that answers `GET /jobs/:mirror/history` with crafted rows (the shape of
 * core's RunRecordJSON) and records each query string; and against a real
 * manager without the history route, and a tunasync-like one (plain-text
 * 404), which get one clear line.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { runProgram, serve, type Served } from '@tunasync/testkit';
import { createManagerClient } from '@tunasync/ctl';
import { CLI, cleanEnv, ctl, startTestManager, tempDir, type CtlEnv, type TestManager } from './helpers.js';

const t = tempDir();
let server: Served;
let tunasync: Served;
let manager: TestManager;
let env: CtlEnv;
let at: string[];
/** Every history request the server saw: path and query parameters. */
const seen: { path: string; query: Record<string, string> }[] = [];

// Runs started 3.5 and 5.5 days ago read "3d ago" and "5d ago" for half a day
// however slowly the tests run.
const DAY = 86_400_000;
const base = Math.floor(Date.now() / 1000) * 1000;
const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');
const t1 = base - 3.5 * DAY;
const t2 = base - 5.5 * DAY;
const abs = (ms: number): string => iso(ms).replace('T', ' ').replace('Z', '');

const EVIL = '\u001b]0;pwned\u0007\u001b[2K\u009b2J\rX\u007f\u0085\nforged';
const SHOWN = '\\x1b]0;pwned\\x07\\x1b[2K\\x9b2J\\x0dX\\x7f\\x85\\x0aforged';
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

const row = (extra: Record<string, unknown>): Record<string, unknown> => ({
  run_id: '6f1c2a9e-0000-4000-8000-000000000001', worker: 'w1', mirror: 'debian', trigger: 'schedule',
  started_at: iso(t1), ended_at: iso(t1 + 192_000), duration_s: 192.4, result: 'success', attempts: 1,
  exit_code: 0, error_msg: '', size: '1.5T', transferred_bytes: 1_610_612_736, files_transferred: 42, log_file: 'debian.log.1',
  ...extra,
});
/** Newest first: a failed run after 3 tries, then an old success. */
const DEBIAN = [
  row({ run_id: '6f1c2a9e-0000-4000-8000-00000000000a', trigger: 'manual', result: 'failed', attempts: 3, exit_code: 23, error_msg: 'rsync exited with 23', transferred_bytes: 512, files_transferred: 1 }),
  row({ run_id: '0b7d41c3-0000-4000-8000-00000000000b', started_at: iso(t2), ended_at: iso(t2 + 3_723_000), duration_s: 3723, worker: 'w2' }),
];
/** A run in progress from tunasync's worker: no run fields yet. */
const RUNNING = row({ run_id: 'r-1', ended_at: null, duration_s: null, result: null, exit_code: null, transferred_bytes: null, files_transferred: null, log_file: null, trigger: 'external' });
const EVIL_ROWS = [row({ run_id: `id${EVIL}`, worker: `w${EVIL}`, error_msg: `rsync failed ${EVIL}`, result: 'failed', log_file: `l${EVIL}` })];

/** Crafted answers by mirror name (the path's second segment). */
const ANSWERS: Record<string, [number, string, string?]> = {
  debian: [200, JSON.stringify(DEBIAN)],
  running: [200, JSON.stringify([RUNNING])],
  empty: [200, '[]'],
  evil: [200, JSON.stringify(EVIL_ROWS)],
  refused: [400, JSON.stringify({ error: `limit: must be an integer from 1 to 1000 ${EVIL}`, code: 'invalid_query' })],
  unknown: [404, JSON.stringify({ error: 'no mirror unknown on any worker', code: 'mirror_not_found' })],
  oldts: [404, JSON.stringify({ error: 'no route for GET /jobs/oldts/history', code: 'no_route' })],
  malformed: [200, JSON.stringify([row({ started_at: 'yesterday' })])],
  notlist: [200, JSON.stringify({ runs: [] })],
};

function answer(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://x');
  const m = /^\/jobs\/([^/]+)\/history$/.exec(url.pathname);
  if (req.method === 'GET' && m) {
    seen.push({ path: url.pathname, query: Object.fromEntries(url.searchParams) });
    const [status, body] = ANSWERS[decodeURIComponent(m[1]!)] ?? [200, '[]'];
    res.writeHead(status, { 'content-type': 'application/json' }).end(body);
    return;
  }
  res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'no route', code: 'no_route' }));
}

beforeAll(async () => {
  server = await serve(answer);
  // tunasync's (gin) manager: unknown routes get a plain-text 404.
  tunasync = await serve((_req, res) => void res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found'));
  manager = await startTestManager(t.dir);
  env = cleanEnv(t.dir);
  at = ['-m', '127.0.0.1', '-p', String(server.port)];
});
afterAll(async () => {
  await server.close();
  await tunasync.close();
  await manager.close();
  t.cleanup();
});

const history = (...args: string[]) => ctl(['history', ...args, ...at], env);
const lastQuery = (): Record<string, string> => seen[seen.length - 1]!.query;

describe('history as JSON (piped, or -o json)', () => {
  it('prints the manager\'s rows as they came, indented, when stdout is not a terminal', async () => {
    const r = await history('debian');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(r.stdout)).toEqual(DEBIAN);
    expect(r.stdout).toBe(`${JSON.stringify(DEBIAN, null, 2)}\n`);
    expect(Object.keys(JSON.parse(r.stdout)[0])).toEqual(Object.keys(DEBIAN[0]!));
    expect(lastQuery()).toEqual({});
  });

  it('-o json keeps nulls of a run in progress; an empty history is []', async () => {
    const r = await history('running', '-o', 'json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([RUNNING]);
    expect(await history('empty')).toEqual({ code: 0, stdout: '[]\n', stderr: '' });
  });

  it('values with control characters stay exact in JSON', async () => {
    const r = await history('evil');
    expect((JSON.parse(r.stdout) as { worker: string }[])[0]!.worker).toBe(`w${EVIL}`);
  });
});

describe('the query sent', () => {
  it('-w, -n, --failed and --before become worker, limit, result=failed and before', async () => {
    const r = await history('debian', '-w', 'w2', '-n', '50', '--failed', '--before', '6f1c2a9e-0000-4000-8000-00000000000a');
    expect(r.code).toBe(0);
    expect(seen[seen.length - 1]).toEqual({
      path: '/jobs/debian/history',
      query: { worker: 'w2', limit: '50', result: 'failed', before: '6f1c2a9e-0000-4000-8000-00000000000a' },
    });
    await history('debian', '--worker', 'w 1&x=y', '--limit', '1000');
    expect(lastQuery()).toEqual({ worker: 'w 1&x=y', limit: '1000' });
  });

  it('the mirror name is one path segment, percent-encoded', async () => {
    await history('a/b?c');
    expect(seen[seen.length - 1]!.path).toBe('/jobs/a%2Fb%3Fc/history');
  });

  it.each([['0', '0'], ['1001', '1001'], ['abc', '"abc"'], ['2.5', '"2.5"'], ['-3', '"-3"'], ['', '""']])('-n %p is refused before the manager is asked', async (n, shown) => {
    const before = seen.length;
    const r = await history('debian', `--limit=${n}`);
    expect(r).toEqual({ code: 1, stdout: '', stderr: `tunasynctl: -n/--limit must be a whole number from 1 to 1000, not ${shown}\n` });
    expect(seen.length).toBe(before);
  });

  it('a missing MIRROR is a usage error', async () => {
    const r = await history();
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Not enough non-option arguments.*\(see tunasynctl history --help\)/);
  });
});

describe('history -o table', () => {
  it('one line per run: short id, start, duration, result, exit, transferred, files, trigger, worker, error', async () => {
    const r = await history('debian', '-o', 'table');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]!.split(/\s{2,}/)).toEqual(['RUN', 'STARTED', 'DURATION', 'RESULT', 'EXIT', 'TRANSFERRED', 'FILES', 'TRIGGER', 'WORKER', 'ERROR']);
    expect(lines[1]!.split(/\s{2,}/)).toEqual(['6f1c2a9e', `${abs(t1)} (3d ago)`, '3m12s', 'failed (3 tries)', '23', '512B', '1', 'manual', 'w1', 'rsync exited with 23']);
    expect(lines[2]!.split(/\s{2,}/)).toEqual(['0b7d41c3', `${abs(t2)} (5d ago)`, '1h2m', 'success', '0', '1.5G', '42', 'schedule', 'w2']);
    expect(r.stdout).not.toMatch(/\x1b/); // no colour when not on a terminal
  });

  it('a run in progress shows running and dashes', async () => {
    const r = await history('running', '-o', 'table');
    expect(r.stdout.trimEnd().split('\n')[1]!.split(/\s{2,}/)).toEqual(['r-1', `${abs(t1)} (3d ago)`, '-', 'running', '-', '-', '-', 'external', 'w1']);
  });

  it('an empty history says so on stderr and exits 0', async () => {
    expect(await history('empty', '-o', 'table', '-w', 'w9', '--failed')).toEqual({
      code: 0, stdout: '', stderr: 'tunasynctl: the manager has no runs of empty (on w9, failed)\n',
    });
  });

  it('control characters in rows are shown escaped, one line per run', async () => {
    const r = await history('evil', '-o', 'table');
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(CONTROL);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(`w${SHOWN}`);
    expect(lines[1]).toContain('rsync failed \\x1b]0;pwned\\x07');
    expect(lines[1]!.startsWith('id\\x1b]0;')).toBe(true);
  });

  it('with colour forced, only our own colour codes', async () => {
    const r = await ctl(['history', 'evil', '-o', 'table', ...at], { ...env, vars: { FORCE_COLOR: '1' } });
    expect(r.stdout).toContain('\x1b[31mfailed\x1b[0m');
    expect(r.stdout.replace(/\x1b\[[0-9;]*m/g, '')).not.toMatch(CONTROL);
  });

  it('-o table and --format together are refused', async () => {
    const r = await history('debian', '-o', 'table', '-f', '{{.RunID}}');
    expect(r).toEqual({ code: 1, stdout: '', stderr: 'tunasynctl: use --format or --output table, not both\n' });
  });
});

describe('on a terminal', () => {
  it('the table is the default', async () => {
    const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
    const command = [process.execPath, CLI, 'history', 'debian', ...at].map(q).join(' ');
    const r = await runProgram('script', ['-qec', command, '/dev/null'], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: env.home, TUNASYNCTL_SYSTEM_CONF: env.systemConf, TZ: 'UTC', NO_COLOR: '1' },
      timeoutMs: 20_000,
    });
    expect(r.code).toBe(0);
    const lines = r.stdout.replace(/\r\n/g, '\n').trimEnd().split('\n');
    expect(lines[0]).toMatch(/^RUN\s+STARTED\s+DURATION\s+RESULT/);
    expect(lines[1]).toMatch(/^6f1c2a9e\s/);
  });
});

describe('history --format', () => {
  it('runs a Go template over each row (RunRecord, Go field names)', async () => {
    const r = await history('debian', '-f', '{{.RunID}} {{.Worker}} {{.Result}} {{.Attempts}} {{.ExitCode}} {{.DurationS}} {{.TransferredBytes}} {{.StartedAt.Unix}} {{.Trigger}} {{.LogFile}}');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe(
      `${DEBIAN[0]!.run_id} w1 failed 3 23 192.4 512 ${t1 / 1000} manual debian.log.1\n` +
      `${DEBIAN[1]!.run_id} w2 success 1 0 3723 1610612736 ${t2 / 1000} schedule debian.log.1\n`,
    );
  });

  it('absent values are <nil>; EndedAt of a run in progress is the zero time', async () => {
    const r = await history('running', '-f', '{{.Result}} {{.ExitCode}} {{.EndedAt.IsZero}} {{if eq .Result nil}}running{{end}}');
    expect(r.stdout).toBe('<nil> <nil> true running\n');
  });

  it('values are shown escaped', async () => {
    const r = await history('evil', '-f', '{{.Worker}}|{{.ErrorMsg}}|{{.LogFile}}');
    expect(r.stdout).toBe(`w${SHOWN}|rsync failed ${SHOWN}|l${SHOWN}\n`);
  });

  it('a misspelt field is reported before the manager is asked', async () => {
    const before = seen.length;
    const r = await history('debian', '-f', '{{.RunId}}');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^tunasynctl: template: can't evaluate field RunId in type RunRecord \(fields: RunID, Worker, /);
    expect(seen.length).toBe(before);
  });
});

describe('the typed client', () => {
  it('history() parses the rows into RunRecords; historyRows() also keeps them as sent', async () => {
    const client = createManagerClient({ baseUrl: server.url });
    const runs = await client.history('debian', { limit: 2, worker: 'w1', result: 'failed', before: 'x' });
    expect(lastQuery()).toEqual({ limit: '2', worker: 'w1', result: 'failed', before: 'x' });
    expect(runs[0]).toMatchObject({ runId: DEBIAN[0]!.run_id, attempts: 3, exitCode: 23, result: 'failed', transferredBytes: 512, startedAt: new Date(t1) });
    expect(runs[1]!.endedAt).toEqual(new Date(t2 + 3_723_000));
    const running = await client.historyRows('running');
    expect(running.rows).toEqual([RUNNING]);
    expect(running.records[0]).not.toHaveProperty('result');
    expect(running.records[0]).not.toHaveProperty('endedAt');
  });
});

describe('managers that say no', () => {
  it('tunasync\'s manager (plain-text 404): one clear line, exit 1', async () => {
    const r = await ctl(['history', 'debian', '-m', '127.0.0.1', '-p', String(tunasync.port)], env);
    expect(r).toEqual({ code: 1, stdout: '', stderr: 'tunasynctl: this manager keeps no run history (tunasync\'s manager?)\n' });
  });

  it('a tunasync-ts manager without the history route (no_route) says so; ours names an unknown mirror', async () => {
    const none = { code: 1, stdout: '', stderr: 'tunasynctl: this manager keeps no run history (tunasync\'s manager?)\n' };
    expect(await history('oldts')).toEqual(none);
    const unknown = await ctl(['history', 'debian', '-o', 'table', '-m', '127.0.0.1', '-p', String(manager.port)], env);
    expect(unknown).toEqual({ code: 1, stdout: '', stderr: 'tunasynctl: mirror debian is not known: no worker reported it and no run of it is kept\n' });
  });

  it('a 404 with another code is the manager\'s own message', async () => {
    expect(await history('unknown')).toEqual({ code: 1, stdout: '', stderr: 'tunasynctl: no mirror unknown on any worker\n' });
  });

  it('a 400 {error, code}: its message, escaped', async () => {
    expect(await history('refused', '-n', '5')).toEqual({ code: 1, stdout: '', stderr: `tunasynctl: limit: must be an integer from 1 to 1000 ${SHOWN}\n` });
  });

  it('a malformed row or a non-list answer names the problem (also with -o json)', async () => {
    const bad = await history('malformed', '-o', 'json');
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/^tunasynctl: the manager's answer to http:\/\/127\.0\.0\.1:\d+\/jobs\/malformed\/history is malformed: .*started_at/);
    const notList = await history('notlist');
    expect(notList.stderr).toMatch(/is not a list\n$/);
  });
});
