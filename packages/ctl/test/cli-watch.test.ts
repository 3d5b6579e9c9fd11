/**
 * `tunasynctl watch` (issue 21), the built bin: under a pseudo-terminal
 * (util-linux `script`) against a real manager (fed by its `/events`), it shows a status change within
 * 2 s and `q` restores the terminal (checked with `stty -a` in the same
 * terminal afterwards); piped, it prints one line per change; and against a
 * small server speaking the `/events` protocol it follows the events.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CLI, cleanEnv, registerWorker, reportJob, startTestManager, tempDir, until, type CtlEnv, type TestManager } from './helpers.js';

// Every test runs the built bin several times: a node start each, seconds on a loaded machine.
jest.setTimeout(120_000);

const t = tempDir();
let m: TestManager;
let env: CtlEnv;

beforeAll(async () => {
  m = await startTestManager(t.dir);
  env = cleanEnv(t.dir);
  await registerWorker(m, 'w1');
  await reportJob(m, 'w1', 'debian', 'success', { size: '12G' });
  await reportJob(m, 'w1', 'ubuntu', 'failed');
});
afterAll(async () => {
  await m.close();
  t.cleanup();
});

/** A running program and what it printed so far. */
interface Running {
  child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
}

function start(file: string, args: string[], vars: Record<string, string> = {}): Running {
  const child = spawn(file, args, {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: env.home, TUNASYNCTL_SYSTEM_CONF: env.systemConf, TZ: 'UTC', ...vars },
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

const quote = (s: string): string => `'${s.replace(/'/g, "'\\''")}'`;
/** Everything after the last screen draw (cursor home). */
const lastScreen = (text: string): string => text.slice(text.lastIndexOf('\x1b[H'));

describe('watch at a terminal', () => {
  it('shows a status change within 2 s and restores the terminal on q', async () => {
    const watch = [process.execPath, CLI, 'watch', '-m', '127.0.0.1', '-p', String(m.port), '--interval', '1'].map(quote).join(' ');
    // The terminal's settings after watch ended, printed in the same pseudo-terminal.
    const r = start('script', ['-qfc', `stty cols 80 rows 30; ${watch}; echo "watch exited $?"; stty -a`, '/dev/null']);
    try {
      await until(() => (/debian.*success/.test(lastScreen(r.stdout())) ? true : undefined), 'the first screen', 15_000);
      const screen = lastScreen(r.stdout());
      expect(screen).toMatch(/failed 1.*success 1.*\(2 jobs\)/);
      // Sorted by status: failed first.
      expect(screen.indexOf('ubuntu')).toBeLessThan(screen.indexOf('debian'));
      // Every line fits the 80 columns.
      for (const line of screen.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').split(/\r*\n/)) expect([...line].length).toBeLessThanOrEqual(80);
      expect(r.stdout()).toContain('\x1b[?1049h'); // the alternate screen

      await reportJob(m, 'w1', 'debian', 'syncing');
      await until(() => (/\* debian\s.*syncing/.test(lastScreen(r.stdout())) ? true : undefined), 'debian syncing on screen, marked', 2000);

      r.child.stdin.write('q');
      expect(await r.exited).toBe(0);
    } finally {
      r.child.kill();
    }
    const out = r.stdout();
    expect(out).toMatch(/\x1b\[\?25h\x1b\[\?1049l[^]*watch exited 0/);
    const stty = out.slice(out.indexOf('watch exited 0'));
    // Raw mode is off again: canonical input and echo are on.
    expect(stty).toMatch(/(^|\s)icanon(\s|$)/m);
    expect(stty).toMatch(/(^|\s)echo(\s|$)/m);
    expect(out).toMatch(/columns 80/);
  });
});

describe('watch piped', () => {
  // Our manager feeds watch with /events; tunasync's has none (404), so watch polls: the same lines either way.
  const noEvents = { name: 'events', mount: () => undefined };
  it.each([
    ['live', false],
    ['polling every 0.5s', true],
  ])('prints one line per change, the feed (%s) on stderr, and ends on SIGTERM', async (feed, polling) => {
    const own = polling ? await startTestManager(t.dir, { routes: [noEvents] }) : undefined;
    const mm = own ?? m;
    try {
      await registerWorker(mm, 'w1');
      await reportJob(mm, 'w1', 'debian', 'success');
      const r = start(process.execPath, [CLI, 'watch', '-m', '127.0.0.1', '-p', String(mm.port), '--interval', '0.5', 'deb*']);
      try {
        await until(() => (r.stderr().includes(`tunasynctl: watch: ${feed}`) ? true : undefined), `watch ${feed}`);
        expect(r.stdout()).toBe('');
        await reportJob(mm, 'w1', 'debian', 'syncing');
        await until(() => (r.stdout().includes('debian on w1: success -> syncing') ? true : undefined), 'the syncing line');
        await reportJob(mm, 'w1', 'ubuntu', 'syncing'); // filtered out by the glob
        await reportJob(mm, 'w1', 'debian', 'success', { size: '13G' });
        await until(() => (r.stdout().includes('syncing -> success') ? true : undefined), 'the success line');
        r.child.kill('SIGTERM');
        expect(await r.exited).toBe(0);
      } finally {
        r.child.kill();
      }
      const lines = r.stdout().trimEnd().split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ debian on w1: success -> syncing$/);
      expect(lines[1]).toMatch(/^\S+ debian on w1: syncing -> success \(13G\)$/);
      expect(r.stdout()).not.toContain('\x1b');
    } finally {
      await own?.close();
    }
  });
});

describe('watch over /events', () => {
  const ZERO = '0001-01-01T00:00:00Z';
  const ZERO_WEB = '0001-01-01 00:00:00 +0000';
  const status = (name: string, s: string) => ({
    name, worker: 'w1', is_master: true, status: s, last_update: ZERO, last_started: ZERO, last_ended: ZERO, next_schedule: ZERO,
    upstream: 'u', size: '1G', error_msg: '',
  });
  const web = (name: string, s: string) => ({
    name, is_master: true, status: s,
    last_update: ZERO_WEB, last_update_ts: -62135596800, last_started: ZERO_WEB, last_started_ts: -62135596800,
    last_ended: ZERO_WEB, last_ended_ts: -62135596800, next_schedule: ZERO_WEB, next_schedule_ts: -62135596800, upstream: 'u', size: '1G',
  });

  it('follows event: job, and resumes with Last-Event-ID after the stream breaks', async () => {
    const streams: ServerResponse[] = [];
    const lastIds: (string | undefined)[] = [];
    const server = createServer((req, res) => {
      const json = (body: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (req.url === '/workers') json([{ id: 'w1', url: 'http://127.0.0.1:1/', token: 'REDACTED', last_online: ZERO, last_register: ZERO }]);
      else if (req.url === '/workers/w1/jobs') json([status('debian', 'success')]);
      else if (req.url === '/jobs') json([web('debian', 'success')]);
      else if (req.url === '/events') {
        lastIds.push(req.headers['last-event-id'] as string | undefined);
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('retry: 200\n: keep-alive\n\n');
        streams.push(res);
      } else res.writeHead(404).end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const r = start(process.execPath, [CLI, 'watch', '-m', '127.0.0.1', '-p', String(port)]);
    try {
      await until(() => (r.stderr().includes('tunasynctl: watch: live') ? true : undefined), 'watch live');
      streams[0]!.write(`id: 41\nevent: job\ndata: ${JSON.stringify({ ...web('debian', 'syncing'), worker: 'w1' })}\n\n`);
      await until(() => (r.stdout().includes('debian on w1: success -> syncing') ? true : undefined), 'the event shown');
      streams[0]!.destroy();
      await until(() => (streams.length === 2 ? true : undefined), 'a new stream');
      expect(lastIds).toEqual([undefined, '41']);
      // Without a worker in the data, the one row of that name.
      streams[1]!.write(`id: 42\nevent: job\ndata: ${JSON.stringify(web('debian', 'failed'))}\n\n`);
      await until(() => (r.stdout().includes('debian on w1: success -> failed') ? true : undefined), 'the second event shown');
      r.child.kill('SIGINT');
      expect(await r.exited).toBe(0);
    } finally {
      r.child.kill();
      for (const s of streams) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    // The reconnect read every job again: debian was success there (the fake's /workers/w1/jobs), so that is a change too.
    expect(r.stdout().trimEnd().split('\n').map((l) => l.replace(/^\S+ /, ''))).toEqual([
      'debian on w1: success -> syncing',
      'debian on w1: syncing -> success (1G)',
      'debian on w1: success -> failed',
    ]);
    expect(r.stderr()).toMatch(/tunasynctl: watch: reconnecting/);
  });
});
