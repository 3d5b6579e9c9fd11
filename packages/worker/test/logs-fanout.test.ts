/**
 * One shared reader per followed log file (issue 15's benchmark): the
 * followers of a file get the same events from one open file and one
 * watcher; a late follower gets its own tail, then the shared lines with no
 * gap and no duplicate; a client that stops reading neither stalls the
 * others nor holds more than its queue cap (it is dropped with `event:
 * error`); the reader lets go of the file when its last follower leaves.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { chmodSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { get, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { createTestWorker, lineData, manualTimers, openSse, tempDir, until, type TestSse } from '@tunasync/testkit';
import { STALL_MS, type RunEndEvent, type TimerApi, type Worker } from '@tunasync/worker';

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

async function startWorker(body: string, queueBytes?: number, timers: TimerApi = manualTimers(), mirrorExtra = ''): Promise<{ w: Worker; base: string; logDir: string }> {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const cmd = join(t.dir, 'job.sh');
  writeFileSync(cmd, `#!/bin/sh\n${body}\n`);
  chmodSync(cmd, 0o755);
  const w = await createTestWorker({
    dir: t.dir,
    mirrors: `[[mirrors]]\nname = "m"\nprovider = "command"\nupstream = "x"\ncommand = "${cmd}"\ninterval = 600\n${mirrorExtra}`,
    options: { registerWaitMs: 50, timers, ...(queueBytes !== undefined ? { logFollowerQueueBytes: queueBytes } : {}) },
  });
  cleanups.push(() => w.halt());
  await w.start();
  return { w, base: w.url.replace(/\/$/, ''), logDir: join(t.dir, 'log', 'm') };
}

function runEnd(w: Worker): Promise<RunEndEvent> {
  return new Promise((resolve) => w.events.once('run:end', resolve));
}

/** This process's open descriptors whose target passes `test`. */
function fds(test: (target: string) => boolean): number {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return test(readlinkSync(`/proc/self/fd/${fd}`));
    } catch {
      return false;
    }
  }).length;
}

/** The inotify watches this process holds (libuv keeps its one inotify descriptor once made; its watches come and go). */
function inotifyWatches(): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) !== 'anon_inode:inotify') continue;
      n += readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8').split('\n').filter((l) => l.startsWith('inotify wd:')).length;
    } catch {
      // closed meanwhile
    }
  }
  return n;
}

/** `line` events as `id data` pairs. */
const lineEvents = (s: TestSse): string[] => s.events.filter((e) => e.event === 'line').map((e) => `${e.id} ${e.data}`);

const ticks = (n: number, pause: number): string => `i=1; while [ $i -le ${n} ]; do echo "tick $i"; sleep ${pause}; i=$((i+1)); done`;

/** A follower that counts on bytes only (a large log), and can stop reading. */
function rawFollower(url: string, keep = false): Promise<{ res: IncomingMessage; bytes(): number; lines(): number; tail(): string; text(): string; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const req = get(url, { headers: { accept: 'text/event-stream' } }, (res) => {
      let bytes = 0;
      let lines = 0;
      let tail = Buffer.alloc(0);
      const all: Buffer[] = [];
      const marker = Buffer.from('event: line\n');
      res.on('data', (b: Buffer) => {
        bytes += b.length;
        if (keep) all.push(b);
        // Count markers, including one split across two chunks.
        const joined = Buffer.concat([tail.subarray(-(marker.length - 1)), b]);
        for (let i = joined.indexOf(marker); i >= 0; i = joined.indexOf(marker, i + 1)) lines++;
        tail = Buffer.concat([tail, b]).subarray(-2000);
      });
      res.on('error', () => undefined);
      const closed = new Promise<void>((r) => res.on('close', () => r()));
      resolve({ res, bytes: () => bytes, lines: () => lines, tail: () => tail.toString('utf8'), text: () => Buffer.concat(all).toString('utf8'), closed });
    });
    req.on('error', reject);
    cleanups.push(() => void req.destroy());
  });
}

describe('shared log followers', () => {
  it('two followers get the same events in the same order from one open file and one watcher, which closes when the last leaves', async () => {
    const { w, base, logDir } = await startWorker(`${ticks(10, 0.02)}; echo waiting; sleep 30`);
    const logFds = (): number => fds((t) => t.startsWith(logDir));
    const inotify = (): number => inotifyWatches();
    const before = { fds: logFds(), inotify: inotify() };
    await w.command({ cmd: 'start', mirrorId: 'm', args: [], options: {} });
    const a = await openSse(`${base}/jobs/m/log/stream?offset=0`);
    const b = await openSse(`${base}/jobs/m/log/stream?offset=0`);
    for (const s of [a, b]) await until(() => (lineData(s).includes('waiting') ? true : undefined), 'both followers to reach the last line');
    const expected = [...Array.from({ length: 10 }, (_, i) => `tick ${i + 1}`), 'waiting'];
    expect(lineData(a)).toEqual(expected);
    expect(lineEvents(b)).toEqual(lineEvents(a));
    // One reader for both: the worker holds one descriptor on the log (the job's
    // own output descriptor is the child's, not ours) and, once it waits at the
    // file's end (after the pacing interval), one directory watch.
    expect(logFds() - before.fds).toBe(1);
    await until(() => (inotify() > before.inotify ? true : undefined), 'the reader to watch the directory at the end of the file');
    expect(inotify() - before.inotify).toBe(1);
    a.close();
    await a.ended;
    expect(logFds() - before.fds).toBe(1); // b still follows
    b.close();
    await until(() => (logFds() === before.fds && inotify() === before.inotify ? true : undefined), 'the reader to let go of the file and its watch');
    expect(w.jobs.get('m')!.running).toBe(true);
  });

  it('a late follower gets its tail, then the shared lines with no gap and no duplicate', async () => {
    const { w, base } = await startWorker(ticks(40, 0.05));
    const ended = runEnd(w);
    await w.command({ cmd: 'start', mirrorId: 'm', args: [], options: {} });
    const early = await openSse(`${base}/jobs/m/log/stream?offset=0`);
    await until(() => (lineData(early).length >= 10 ? true : undefined), 'ten lines to the first follower');
    const seen = lineData(early).length;
    const late = await openSse(`${base}/jobs/m/log/stream?tail=3`);
    const fromStart = await openSse(`${base}/jobs/m/log/stream?offset=0`);
    await Promise.all([early.ended, late.ended, fromStart.ended]);
    const end = await ended;
    const all = Array.from({ length: 40 }, (_, i) => `tick ${i + 1}`);
    expect(lineData(early)).toEqual(all);
    expect(lineEvents(fromStart)).toEqual(lineEvents(early));
    const got = lineData(late);
    const first = all.indexOf(got[0]!);
    expect(first).toBeGreaterThanOrEqual(seen - 3);
    expect(got).toEqual(all.slice(first)); // contiguous through to the last line
    // The same offsets as the first follower's for the same lines.
    expect(lineEvents(late)).toEqual(lineEvents(early).slice(first));
    for (const s of [early, late, fromStart]) expect(JSON.parse(s.events[s.events.length - 1]!.data)).toEqual({ run_id: end.runId, result: 'success' });
  });

  it('a late follower joining a log that moves fast (the reader ahead of it) gets every line once, in order', async () => {
    const line = 'a log line of the large job, written as fast as it goes, ninety-nine bytes and a newline ..........';
    const bytes = 100 * 80_000;
    const { w, base } = await startWorker(`sleep 0.3; yes '${line}' | head -c ${bytes}; echo done`);
    const ended = runEnd(w);
    await w.command({ cmd: 'start', mirrorId: 'm', args: [], options: {} });
    const early = await rawFollower(`${base}/jobs/m/log/stream?from=run`, true);
    await until(() => (early.bytes() > 1024 * 1024 ? true : undefined), 'a megabyte to the first follower');
    early.res.pause(); // the shared reader now waits (its only follower is full)
    const late = await rawFollower(`${base}/jobs/m/log/stream?offset=0`, true);
    await until(() => (late.bytes() > 2 * 1024 * 1024 ? true : undefined), 'the late follower to get going');
    early.res.resume();
    await Promise.all([early.closed, late.closed]);
    await ended;
    const expected = [...Array.from({ length: 80_000 }, (_, i) => `${(i + 1) * 100} ${line}`), `${bytes + 5} done`].join('\n');
    for (const f of [early, late]) {
      const got = [...f.text().matchAll(/id: (\d+)\nevent: line\ndata: (.*)\n\n/g)].map((m) => `${m[1]} ${m[2]}`);
      expect(got.length).toBe(80_001);
      expect(got.join('\n') === expected).toBe(true);
      expect(f.tail()).toContain('event: end');
    }
  });

  it('a follower starting ahead of the shared reader is not held by a stalled one: it gets the lines from its offset to the end', async () => {
    const line = 'a log line of the large job, written as fast as it goes, ninety-nine bytes and a newline ..........';
    const { w, base } = await startWorker(`sleep 0.3; yes '${line}' | head -c ${100 * 160_000}; echo done`);
    const ended = runEnd(w);
    await w.command({ cmd: 'start', mirrorId: 'm', args: [], options: {} });
    const stalled = await rawFollower(`${base}/jobs/m/log/stream?from=run`);
    await until(() => (stalled.bytes() > 1024 * 1024 ? true : undefined), 'a megabyte to the first follower');
    stalled.res.pause(); // the shared reader waits for it, well before the late follower's offset
    await ended;
    const late = await rawFollower(`${base}/jobs/m/log/stream?offset=${100 * 150_000}`, true);
    await late.closed;
    const got = [...late.text().matchAll(/id: (\d+)\nevent: line\ndata: (.*)\n\n/g)].map((m) => `${m[1]} ${m[2]}`);
    expect(got).toEqual([...Array.from({ length: 10_000 }, (_, i) => `${(150_001 + i) * 100} ${line}`), `${100 * 160_000 + 5} done`]);
    expect(late.tail()).toContain('event: end');
    expect(stalled.bytes()).toBeLessThan(100 * 150_000);
  });

  it('a client that stops reading holds the others for at most STALL_MS once its queue is full, then is dropped with event: error', async () => {
    const bytes = 24 * 1024 * 1024;
    const timers = manualTimers();
    const { w, base } = await startWorker(`sleep 0.3; yes 'a log line of the large job, written as fast as it goes, ninety-nine bytes and a newline ..........' | head -c ${bytes}; echo; echo done`, 256 * 1024, timers);
    const ended = runEnd(w);
    await w.command({ cmd: 'start', mirrorId: 'm', args: [], options: {} });
    const stalled = await rawFollower(`${base}/jobs/m/log/stream?from=run`);
    stalled.res.pause(); // reads nothing more
    const fast = await rawFollower(`${base}/jobs/m/log/stream?from=run`);
    // The reader waits for the stalled client (its queue reached the cap), on a timer.
    await until(() => (timers.fire(STALL_MS) > 0 ? true : undefined), 'the reader to wait for the stalled client');
    const atStall = fast.bytes();
    await fast.closed;
    expect(fast.bytes()).toBeGreaterThan(atStall);
    await ended;
    expect(fast.tail()).toMatch(/data: done\n\nevent: end\ndata: \{"run_id":"[^"]+","result":"success"\}\n\n$/);
    expect(fast.lines()).toBe(Math.ceil(bytes / 100) + 1);
    expect(stalled.bytes()).toBeLessThan(bytes);
    // Reading again, the stalled client finds the error event as the last thing it was sent, then the end of the stream.
    stalled.res.resume();
    await stalled.closed;
    expect(stalled.tail()).toMatch(/event: error\ndata: \{"error":"[^"]*","code":"slow_client"\}\n\n$/);
    expect(stalled.tail()).not.toContain('event: end');
  });

  it('sends each line as it is in the file: UTF-8 unchanged, CR split, bad bytes as U+FFFD, the password as ***, ids the offsets', async () => {
    // Plain UTF-8 chunks are framed as bytes; a chunk with a CR, a bad byte or the password is decoded line by line.
    const plain = (from: number): string => `i=${from}; while [ $i -lt ${from + 3000} ]; do echo "中文 ✓ 🚀 line $i"; i=$((i+1)); done`; // about 80 KB
    const special = "printf 'before\\rafter\\n\\377\\376x\\npass=hunter2-secret!\\ncrlf\\r\\n'";
    const body = `${plain(0)}; ${special}; ${plain(3000)}; printf 'last without newline'`;
    const { w, base } = await startWorker(body, undefined, manualTimers(), 'password = "hunter2-secret"\n');
    const ended = runEnd(w);
    await w.command({ cmd: 'start', mirrorId: 'm', args: [], options: {} });
    const end = await ended;
    const file = readFileSync(end.logFile!);
    expect(file.length).toBeGreaterThan(2 * 64 * 1024);
    // What each line must become, worked out from the file's bytes.
    const expected: string[] = [];
    const decoder = new TextDecoder('utf-8');
    for (let from = 0; from < file.length; ) {
      const nl = file.indexOf(0x0a, from);
      const to = nl < 0 ? file.length : nl;
      let text = decoder.decode(file.subarray(from, to));
      if (text.endsWith('\r')) text = text.slice(0, -1);
      text = text.split('hunter2-secret').join('***').split('\r').join('\n');
      from = nl < 0 ? file.length : nl + 1;
      expected.push(`${from} ${text}`);
    }
    const s = await openSse(`${base}/jobs/m/log/stream?offset=0`);
    await s.ended;
    expect(lineEvents(s)).toEqual(expected);
    expect(expected).toContain(`${file.indexOf('pass=') + 'pass=hunter2-secret!\n'.length} pass=***!`);
    expect(expected.some((e) => e.endsWith(' before\nafter'))).toBe(true);
    expect(expected.some((e) => e.endsWith(' \ufffd\ufffdx'))).toBe(true);
    expect(expected[expected.length - 1]).toBe(`${file.length} last without newline`);
    expect(s.raw()).not.toContain('hunter2');
  });
});
