/**
 * The worker's log routes (issue 15) on a real worker running real command
 * and rsync-provider jobs: following a run line by line to its `end`,
 * resuming from an offset, the last failed run's `.fail` file, redaction of
 * the mirror's password and the worker's token in every route, paths that
 * escape the log directory, keep-alives on injected timers, and a client
 * that disconnects leaving no open file or listener behind.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { chmodSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestWorker, freePort, lineData, manualTimers, openSse, request, tempDir, type TestWorkerConf, until } from '@tunasync/testkit';
import type { RunEndEvent, TimerApi, Worker } from '@tunasync/worker';

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

function dir(): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return t.dir;
}

function script(d: string, name: string, body: string): string {
  const file = join(d, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

async function startWorker(conf: Omit<TestWorkerConf, 'dir'> & { dir: string; timers?: TimerApi }): Promise<{ w: Worker; base: string }> {
  const w = await createTestWorker({ ...conf, options: { registerWaitMs: 50, ...(conf.timers ? { timers: conf.timers } : {}) } });
  cleanups.push(() => w.halt());
  await w.start();
  return { w, base: w.url.replace(/\/$/, '') };
}

function runEnd(w: Worker, mirror: string): Promise<RunEndEvent> {
  return new Promise((resolve) => {
    const l = (e: RunEndEvent): void => {
      if (e.mirror !== mirror) return;
      w.events.off('run:end', l);
      resolve(e);
    };
    w.events.on('run:end', l);
  });
}

const tick = (n: number, pause: number): string => `i=1; while [ $i -le ${n} ]; do echo "tick $i"; sleep ${pause}; i=$((i+1)); done`;

describe('worker log routes', () => {
  it('follows a running job line by line, in order, then sends end; /jobs shows the run', async () => {
    const d = dir();
    const cmd = script(d, 'tick.sh', tick(20, 0.1));
    const timers = manualTimers();
    const { w, base } = await startWorker({ dir: d, timers, mirrors: `[[mirrors]]\nname = "tick"\nprovider = "command"\nupstream = "x"\ncommand = "${cmd}"\ninterval = 600\n` });
    const ended = runEnd(w, 'tick');
    await w.command({ cmd: 'start', mirrorId: 'tick', args: [], options: {} });
    const jobs = await request(base, 'GET', '/jobs');
    expect(jobs.status).toBe(200);
    expect(jobs.body).toEqual([expect.objectContaining({ name: 'tick', running: true, run_id: w.jobs.get('tick')!.currentRunId })]);
    const s = await openSse(`${base}/jobs/tick/log/stream?offset=0`);
    expect(s.status).toBe(200);
    expect(s.headers['content-type']).toMatch(/^text\/event-stream/);
    await s.ended;
    const end = await ended;
    expect(s.raw().startsWith('retry: 3000\n\n')).toBe(true);
    expect(lineData(s)).toEqual(Array.from({ length: 20 }, (_, i) => `tick ${i + 1}`));
    const last = s.events[s.events.length - 1]!;
    expect(last.event).toBe('end');
    expect(JSON.parse(last.data)).toEqual({ run_id: end.runId, result: 'success' });
    // Every line event carries the byte offset after it.
    const ids = s.events.filter((e) => e.event === 'line').map((e) => Number(e.id));
    expect(ids[ids.length - 1]).toBe(readFileSync(end.logFile!).length);
    // The plain route names the same run and size.
    const text = await request(base, 'GET', '/jobs/tick/log');
    expect(text.contentType).toMatch(/^text\/plain/);
    expect(text.text.split('\n').filter(Boolean)).toHaveLength(20);
  });

  it('resumes from an offset after a dropped connection and misses nothing; tail gives the last lines', async () => {
    const d = dir();
    const cmd = script(d, 'tick.sh', tick(30, 0.05));
    const timers = manualTimers();
    const { w, base } = await startWorker({ dir: d, timers, mirrors: `[[mirrors]]\nname = "tick"\nprovider = "command"\nupstream = "x"\ncommand = "${cmd}"\n` });
    const ended = runEnd(w, 'tick');
    await w.command({ cmd: 'start', mirrorId: 'tick', args: [], options: {} });
    const first = await openSse(`${base}/jobs/tick/log/stream?offset=0`);
    await until(() => (lineData(first).length >= 5 ? true : undefined), `five lines (got ${first.raw().slice(0, 300)})`);
    first.close();
    const got = lineData(first);
    const lastId = first.events.filter((e) => e.event === 'line').pop()!.id!;
    const second = await openSse(`${base}/jobs/tick/log/stream`, { 'last-event-id': lastId });
    await second.ended;
    await ended;
    expect([...got, ...lineData(second)]).toEqual(Array.from({ length: 30 }, (_, i) => `tick ${i + 1}`));
    // The text route: offset resumes at a byte, tail gives the last lines.
    const all = await request(base, 'GET', '/jobs/tick/log');
    const size = Number(all.text.length);
    const from = await request(base, 'GET', `/jobs/tick/log?offset=${lastId}`);
    expect(all.text.slice(Number(lastId))).toBe(from.text);
    expect(Number((await fetch(`${base}/jobs/tick/log`)).headers.get('x-log-size'))).toBe(size);
    expect((await request(base, 'GET', '/jobs/tick/log?tail=3')).text).toBe('tick 28\ntick 29\ntick 30\n');
  });

  it('run=latest-failed serves the .fail file of the last failed run; run=RUN_ID that run\'s log', async () => {
    const d = dir();
    const cmd = script(d, 'fail.sh', 'echo "attempt at $(date +%s%N)"; echo "boom"; exit 3');
    const timers = manualTimers();
    const { w, base } = await startWorker({ dir: d, timers, mirrors: `[[mirrors]]\nname = "bad"\nprovider = "command"\nupstream = "x"\nretry = 1\ncommand = "${cmd}"\n` });
    const ended = runEnd(w, 'bad');
    await w.command({ cmd: 'start', mirrorId: 'bad', args: [], options: {} });
    const end = await ended;
    expect(end.outcome).toBe('failed');
    expect(end.logFile).toMatch(/\.log\.fail$/);
    const failed = await fetch(`${base}/jobs/bad/log?run=latest-failed`);
    expect(failed.status).toBe(200);
    expect(await failed.text()).toBe(readFileSync(end.logFile!, 'utf8'));
    expect(failed.headers.get('x-run-id')).toBe(end.runId);
    const byId = await request(base, 'GET', `/jobs/bad/log?run=${end.runId}`);
    expect(byId.text).toContain('boom');
    expect((await request(base, 'GET', '/jobs/bad/log?run=no-such-run')).body).toMatchObject({ code: 'unknown_run' });
    // An idle job's stream: the latest log, then the end of the run that wrote it.
    const s = await openSse(`${base}/jobs/bad/log/stream?tail=1`);
    await s.ended;
    expect(lineData(s)).toEqual(['boom']);
    expect(JSON.parse(s.events.pop()!.data)).toEqual({ run_id: end.runId, result: 'failed' });
  });

  it('never reads outside the log directory: traversal in run or mirror is 400, a log symlinked out is 400', async () => {
    const d = dir();
    const timers = manualTimers();
    const { w, base } = await startWorker({ dir: d, timers, mirrors: `[[mirrors]]\nname = "m"\nprovider = "command"\nupstream = "x"\ncommand = "true"\n` });
    expect(w.jobs.has('m')).toBe(true);
    for (const run of ['../../etc/passwd', '..%2F..%2Fetc%2Fpasswd', '%2Fetc%2Fpasswd', '..', 'latest%2F..%2F..%2Fx', '.hidden', 'a%00b']) {
      const r = await request(base, 'GET', `/jobs/m/log?run=${run}`);
      expect([run, r.status, r.body?.code]).toEqual([run, 400, 'bad_run']);
      expect(r.text).not.toContain('root:');
    }
    const logDir = join(d, 'log', 'm');
    mkdirSync(logDir, { recursive: true });
    symlinkSync('/etc/passwd', join(logDir, 'm_2020-01-01_00_00.log.fail'));
    const out = await request(base, 'GET', '/jobs/m/log?run=latest-failed');
    expect([out.status, out.body?.code]).toEqual([400, 'bad_path']);
    expect(out.text).not.toContain('root:');
    expect((await request(base, 'GET', '/jobs/..%2F..%2Fetc/log')).status).toBe(400);
    expect((await request(base, 'GET', '/jobs/nope/log')).body).toMatchObject({ code: 'unknown_mirror' });
  });

  it('redacts the rsync mirror\'s password and the worker\'s token in every route, and needs the token', async () => {
    const d = dir();
    const bin = join(d, 'bin');
    mkdirSync(bin);
    // An upstream that echoes the password back (and a line holding the worker's token).
    script(bin, 'rsync', 'echo "@ERROR: auth failed on module x with password $RSYNC_PASSWORD"; echo "token tok-9f8e7d in a line"; exit 5');
    const timers = manualTimers();
    const port = await freePort();
    const { w, base } = await startWorker({
      dir: d,
      timers,
      apiBase: `http://127.0.0.1:${port}`,
      manager: { token: 'tok-9f8e7d' },
      mirrors: `[[mirrors]]\nname = "rs"\nprovider = "rsync"\nupstream = "rsync://127.0.0.1/x/"\nusername = "u"\npassword = "pw-s3cr3t"\nenv = { PATH = "${bin}:/usr/bin:/bin" }\n`,
    });
    const ended = runEnd(w, 'rs');
    await w.command({ cmd: 'start', mirrorId: 'rs', args: [], options: {} });
    const end = await ended;
    expect(readFileSync(end.logFile!, 'utf8')).toContain('pw-s3cr3t'); // the file itself is as written
    expect((await request(base, 'GET', '/jobs/rs/log')).status).toBe(401);
    const auth = { authorization: 'Bearer tok-9f8e7d' };
    const served = [
      await (await fetch(`${base}/jobs/rs/log`, { headers: auth })).text(),
      await (await fetch(`${base}/jobs/rs/log?tail=5`, { headers: auth })).text(),
      await (await fetch(`${base}/jobs/rs/log?run=latest-failed`, { headers: auth })).text(),
      await (await fetch(`${base}/jobs/rs/log?run=${end.runId}`, { headers: auth })).text(),
    ];
    const s = await openSse(`${base}/jobs/rs/log/stream?offset=0`, auth);
    await s.ended;
    served.push(s.raw());
    for (const text of served) {
      expect(text).toContain('password ***');
      expect(text).toContain('token *** in a line');
      expect(text).not.toContain('pw-s3cr3t');
      expect(text).not.toContain('tok-9f8e7d');
    }
  });

  it('sends keep-alives on the injected timer, and a client that goes leaves no open file, watcher or listener', async () => {
    const d = dir();
    const cmd = script(d, 'slow.sh', 'echo started; sleep 30');
    const timers = manualTimers();
    const { w, base } = await startWorker({ dir: d, timers, mirrors: `[[mirrors]]\nname = "slow"\nprovider = "command"\nupstream = "x"\ncommand = "${cmd}"\n` });
    const logDir = join(d, 'log', 'slow');
    const openLogFds = (): number =>
      readdirSync('/proc/self/fd').filter((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`).startsWith(logDir);
        } catch {
          return false;
        }
      }).length;
    const inotify = (): number =>
      readdirSync('/proc/self/fd').filter((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`) === 'anon_inode:inotify';
        } catch {
          return false;
        }
      }).length;
    const listeners = (): number => w.events.listenerCount('run:end') + w.events.listenerCount('run:start');
    const before = { fds: openLogFds(), inotify: inotify(), listeners: listeners() };
    await w.command({ cmd: 'start', mirrorId: 'slow', args: [], options: {} });
    const s = await openSse(`${base}/jobs/slow/log/stream?offset=0`);
    await until(() => (lineData(s).includes('started') ? true : undefined), 'the first line');
    expect(openLogFds()).toBeGreaterThan(before.fds);
    expect(listeners()).toBeGreaterThan(before.listeners);
    expect(timers.fire(15_000)).toBe(1);
    await until(() => (s.comments.includes('keep-alive') ? true : undefined), 'a keep-alive comment');
    s.close();
    await until(() => (openLogFds() === before.fds && inotify() === before.inotify && listeners() === before.listeners ? true : undefined), 'the stream to let go');
    expect(timers.fire(15_000)).toBe(0); // its keep-alive timer was cleared
    expect(w.jobs.get('slow')!.running).toBe(true); // the job was not touched
  });
});
