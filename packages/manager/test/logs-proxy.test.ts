/**
 * The manager's log routes (issue 15) in front of a real worker: text and
 * SSE proxied as they come, the log token rule (`admin_tokens`, `[auth]
 * log_tokens`, `public_logs`), a mirror on several workers (409), a
 * tunasync (Go) worker that has no log routes (501), and a client that goes
 * away mid-stream leaving nothing open at the worker.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { chmodSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import type { ManagerConfig } from '@tunasync/core';
import { createTestWorker, tempDir, until } from '@tunasync/testkit';
import type { RunEndEvent, Worker } from '@tunasync/worker';
import { call, makeConfig, startFakeWorker, startTestManager, statusBody, workerBody, type TestManager } from './helpers.js';

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

const ADMIN = 'adm-1a2b';
const READER = 'logs-3c4d';

async function manager(auth: Partial<ManagerConfig['auth']> = {}): Promise<TestManager> {
  const m = await startTestManager({ config: makeConfig({ auth }) });
  cleanups.push(() => m.close());
  return m;
}

/** A real worker `w1` reporting to `m`, with one command mirror running `body`. */
async function worker(m: TestManager, name: string, body: string): Promise<{ w: Worker; dir: string }> {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const cmd = join(t.dir, 'job.sh');
  writeFileSync(cmd, `#!/bin/sh\n${body}\n`);
  chmodSync(cmd, 0o755);
  const w = await createTestWorker({
    dir: t.dir,
    apiBase: m.url,
    options: { registerWaitMs: 3000 },
    mirrors: `[[mirrors]]\nname = "${name}"\nprovider = "command"\nupstream = "x"\ncommand = "${cmd}"\ninterval = 600\n`,
  });
  cleanups.push(() => w.halt());
  await w.start();
  // The manager knows the mirror once the worker's first reports arrived.
  await until(async () => ((await call(m.url, 'GET', '/workers/w1/jobs')).body?.length ? true : undefined), 'the worker to report its job');
  return { w, dir: t.dir };
}

function runEnd(w: Worker): Promise<RunEndEvent> {
  return new Promise((resolve) => w.events.once('run:end', resolve));
}

/** Reads an SSE answer through to its end; `lines` are the `line` events' data. */
function sse(url: string, token?: string): Promise<{ status: number; text: string; lines: string[]; close: () => void; done: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const req = get(url, { headers: token ? { authorization: `Bearer ${token}` } : {} }, (res) => {
      const out = { status: res.statusCode ?? 0, text: '', lines: [] as string[], close: () => req.destroy(), done: Promise.resolve() };
      res.setEncoding('utf8');
      out.done = new Promise<void>((r) => res.on('close', () => r()));
      res.on('data', (chunk: string) => {
        out.text += chunk;
        out.lines = [...out.text.matchAll(/event: line\ndata: (.*)\n/g)].map((m) => m[1]!);
      });
      res.on('error', () => undefined);
      resolve(out);
    });
    req.on('error', reject);
  });
}

describe('manager log routes', () => {
  it('proxies the text and the stream of a running job, in order, to its end', async () => {
    const m = await manager();
    const { w } = await worker(m, 'tick', 'i=1; while [ $i -le 15 ]; do echo "tick $i"; sleep 0.1; i=$((i+1)); done');
    const ended = runEnd(w);
    await until(async () => ((await call(m.url, 'GET', '/jobs/tick/log')).status === 200 ? true : undefined), 'the log to be there');
    const s = await sse(`${m.url}/jobs/tick/log/stream?offset=0`);
    expect(s.status).toBe(200);
    await s.done;
    const end = await ended;
    expect(s.lines).toEqual(Array.from({ length: 15 }, (_, i) => `tick ${i + 1}`));
    expect(s.text).toContain(`event: end\ndata: ${JSON.stringify({ run_id: end.runId, result: 'success' })}`);
    const text = await fetch(`${m.url}/jobs/tick/log?tail=2`);
    expect(await text.text()).toBe('tick 14\ntick 15\n');
    expect(text.headers.get('x-run-id')).toBe(end.runId);
    expect(Number(text.headers.get('x-log-size'))).toBeGreaterThan(0);
    // The worker's own 4xx passes through: a bad run is 400, an unknown run 404.
    expect((await call(m.url, 'GET', '/jobs/tick/log?run=../../etc/passwd')).body).toMatchObject({ code: 'bad_run' });
    expect((await call(m.url, 'GET', '/jobs/tick/log?run=nope')).status).toBe(404);
    expect((await call(m.url, 'GET', '/jobs/nothere/log')).body).toMatchObject({ code: 'unknown_mirror' });
  });

  it('needs an admin token or a log token, unless public_logs', async () => {
    const m = await manager({ adminTokens: [ADMIN], logTokens: [READER], workerToken: 'wtok' });
    const fake = await startFakeWorker();
    cleanups.push(() => fake.close());
    await call(m.url, 'POST', '/workers', { body: workerBody('go1', fake.url), token: 'wtok' });
    await call(m.url, 'POST', '/workers/go1/jobs/m', { body: statusBody('go1', 'm', 'success'), token: 'wtok' });
    expect((await call(m.url, 'GET', '/jobs/m/log')).status).toBe(401);
    expect((await call(m.url, 'GET', '/jobs/m/log/stream')).status).toBe(401);
    expect((await call(m.url, 'GET', '/jobs/m/log', { token: 'wrong' })).status).toBe(401);
    expect((await call(m.url, 'GET', '/jobs/m/log', { token: 'wtok' })).status).toBe(403);
    // With a token the request goes to the worker (a Go worker here: 501).
    expect((await call(m.url, 'GET', '/jobs/m/log', { token: ADMIN })).status).toBe(501);
    expect((await call(m.url, 'GET', '/jobs/m/log', { token: READER })).status).toBe(501);
    // /jobs stays public (public_read).
    expect((await call(m.url, 'GET', '/jobs')).status).toBe(200);

    const pub = await manager({ adminTokens: [ADMIN], publicLogs: true });
    await call(pub.url, 'POST', '/workers', { body: workerBody('go1', fake.url), token: ADMIN });
    await call(pub.url, 'POST', '/workers/go1/jobs/m', { body: statusBody('go1', 'm', 'success'), token: ADMIN });
    expect((await call(pub.url, 'GET', '/jobs/m/log')).status).toBe(501);
  });

  it('a tunasync (Go) worker gives 501 logs_unsupported; a mirror on two workers is 409 without worker=W', async () => {
    const m = await manager();
    const go = await startFakeWorker();
    const go2 = await startFakeWorker();
    cleanups.push(() => go.close(), () => go2.close());
    await call(m.url, 'POST', '/workers', { body: workerBody('go1', go.url) });
    await call(m.url, 'POST', '/workers/go1/jobs/debian', { body: statusBody('go1', 'debian', 'success') });
    const r = await call(m.url, 'GET', '/jobs/debian/log');
    expect(r.status).toBe(501);
    expect(r.body).toEqual({ error: 'worker go1 does not serve logs', code: 'logs_unsupported' });
    expect((await call(m.url, 'GET', '/jobs/debian/log/stream')).body).toMatchObject({ code: 'logs_unsupported' });

    await call(m.url, 'POST', '/workers', { body: workerBody('go2', go2.url) });
    await call(m.url, 'POST', '/workers/go2/jobs/debian', { body: statusBody('go2', 'debian', 'success') });
    const both = await call(m.url, 'GET', '/jobs/debian/log');
    expect(both.status).toBe(409);
    expect(both.body).toMatchObject({ code: 'ambiguous_worker', workers: ['go1', 'go2'] });
    expect(both.body.error).toContain('go1, go2');
    expect((await call(m.url, 'GET', '/jobs/debian/log?worker=go2')).status).toBe(501);
    expect((await call(m.url, 'GET', '/jobs/debian/log?worker=go3')).body).toMatchObject({ code: 'unknown_worker' });
  });

  it('a client that goes away mid-stream leaves no open file, watcher or request at the worker', async () => {
    const m = await manager();
    const { w, dir } = await worker(m, 'slow', 'echo started; sleep 30');
    const logDir = join(dir, 'log', 'slow');
    const fds = (match: (target: string) => boolean): number =>
      readdirSync('/proc/self/fd').filter((fd) => {
        try {
          return match(readlinkSync(`/proc/self/fd/${fd}`));
        } catch {
          return false;
        }
      }).length;
    const listeners = (): number => w.events.listenerCount('run:end') + w.events.listenerCount('run:start');
    await until(() => (w.jobs.get('slow')!.currentLogFile ? true : undefined), 'the run to begin');
    const base = { inotify: fds((t) => t === 'anon_inode:inotify'), listeners: listeners() };
    const s = await sse(`${m.url}/jobs/slow/log/stream?offset=0`);
    await until(() => (s.lines.includes('started') ? true : undefined), `the first line (got ${s.status} ${JSON.stringify(s.text)})`);
    expect(fds((t) => t.startsWith(logDir))).toBe(1);
    expect(listeners()).toBe(base.listeners + 2);
    s.close();
    await until(
      () => (fds((t) => t.startsWith(logDir)) === 0 && fds((t) => t === 'anon_inode:inotify') === base.inotify && listeners() === base.listeners ? true : undefined),
      'the worker to let go of the stream',
    );
    expect(w.jobs.get('slow')!.running).toBe(true);
  });
});
