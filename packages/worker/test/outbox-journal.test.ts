/**
 * The outbox journal is read back like a request from outside (issue 22):
 * a line that is not a well-formed report for this worker is skipped with a
 * warning naming the file and line, never sent; and a journal that cannot be
 * rewritten at open (a full disk) is appended to as it is.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as fs from 'node:fs';
import { dirname, join } from 'node:path';
import { createHttpClient, emptyMirrorStatus } from '@tunasync/core';
import { Outbox, Reporter, outboxFile } from '@tunasync/worker';
import { tempDir } from './helpers.js';
import { captureLogger } from './rsync-helpers.js';

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

function stateDir(): string {
  const t = tempDir('tunasync-journal-');
  cleanups.push(t.cleanup);
  return join(t.dir, 'state');
}

/** Writes `lines` as the journal `file`. */
function writeJournal(file: string, lines: string[]): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, lines.map((l) => `${l}\n`).join(''));
}

const add = (seq: number, path: string, extra: object = {}): string =>
  JSON.stringify({ seq, path, body: { name: 'x', status: 'success' }, what: `report ${seq}`, ...extra });

/** Drains an outbox, returning the paths in order. */
function drain(o: Outbox): string[] {
  const out: string[] = [];
  while (o.size > 0) {
    out.push(o.peek()!.path);
    o.ack();
  }
  return out;
}

describe('journal validation at replay', () => {
  it('skips a null line, and the worker starts', async () => {
    const file = join(stateDir(), 'outbox', 'm.jsonl');
    writeJournal(file, [add(1, '/workers/w1/jobs/a'), 'null', '[]', '"text"', add(2, '/workers/w1/jobs/b')]);
    const o = new Outbox(file, { workerId: 'w1' });
    expect(o.recovery.replayed).toBe(2);
    expect(o.recovery.skipped.map((s) => s.line)).toEqual([2, 3, 4]);
    expect(o.recovery.skipped[0]!.why).toMatch(/not a JSON object/);
    expect(drain(o)).toEqual(['/workers/w1/jobs/a', '/workers/w1/jobs/b']);
    await o.close();
  });

  it('skips paths that leave this worker: dot segments, @host, schemes, another worker id', async () => {
    const file = join(stateDir(), 'outbox', 'm.jsonl');
    const bad = [
      '/../../cmd',
      '@host/x',
      '/workers/w1/../../cmd',
      '/workers/w1/jobs/%2e%2E/%2E%2e/cmd',
      '/workers/w1/jobs/a@evil.example',
      '//evil.example/x',
      'http://evil.example/workers/w1/jobs/a',
      '/workers/w1/jobs/a\\..\\..\\cmd',
      '/workers/w1/jobs/a?x=1',
      '/workers/w2/jobs/a',
      '/workers/w1',
      '/cmd',
    ];
    writeJournal(file, [add(1, '/workers/w1/jobs/ok'), ...bad.map((p, i) => add(i + 2, p)), add(40, '/workers/w1/schedules'), add(41, '/workers')]);
    const o = new Outbox(file, { workerId: 'w1' });
    expect(o.recovery.skipped.map((s) => s.line)).toEqual(bad.map((_, i) => i + 2));
    expect(drain(o)).toEqual(['/workers/w1/jobs/ok', '/workers/w1/schedules', '/workers']);
    await o.close();
  });

  it('skips bad seq, method, body and ack values', async () => {
    const file = join(stateDir(), 'outbox', 'm.jsonl');
    writeJournal(file, [
      add(-1, '/workers/w1/jobs/neg'),
      add(1.5, '/workers/w1/jobs/frac'),
      add(2 ** 53, '/workers/w1/jobs/huge'),
      add(3, '/workers/w1/jobs/put', { method: 'PUT' }),
      add(4, '/workers/w1/jobs/nobody', { body: 'text' }),
      JSON.stringify({ ack: 'x' }),
      JSON.stringify({ ack: 2 ** 60 }),
      add(5, '/workers/w1/jobs/del', { method: 'DELETE', body: null }),
    ]);
    const o = new Outbox(file, { workerId: 'w1' });
    expect(o.recovery.skipped.map((s) => s.line)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(o.peek()).toMatchObject({ seq: 5, method: 'DELETE', path: '/workers/w1/jobs/del' });
    await o.close();
  });

  it('keeps numbering after a seq of 2^53: later messages do not overwrite each other on replay', async () => {
    const file = join(stateDir(), 'outbox', 'm.jsonl');
    writeJournal(file, [add(1, '/workers/w1/jobs/a'), add(2 ** 53, '/workers/w1/jobs/huge')]);
    const o = new Outbox(file, { workerId: 'w1' });
    const b = o.push({ path: '/workers/w1/jobs/b', body: {}, what: 'b' });
    const c = o.push({ path: '/workers/w1/jobs/c', body: {}, what: 'c' });
    expect([b.seq, c.seq]).toEqual([2, 3]);
    await o.close();
    const again = new Outbox(file, { workerId: 'w1' });
    expect(drain(again)).toEqual(['/workers/w1/jobs/a', '/workers/w1/jobs/b', '/workers/w1/jobs/c']);
    await again.close();
  });

  it('a Reporter never sends a skipped line, and names the file and line of each', async () => {
    const received: string[] = [];
    const server: Server = createServer((req, res) => {
      received.push(`${req.method} ${req.url}`);
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const state = stateDir();
    const file = outboxFile(state, base);
    writeJournal(file, [add(1, '/../../cmd'), add(2, '@host/x'), 'null', add(4, '/workers/w1/jobs/good')]);
    const { logger, text } = captureLogger();
    const r = new Reporter({
      apiBaseList: [base],
      http: createHttpClient({ timeoutMs: 2000 }),
      self: () => ({ id: 'w1', url: 'http://127.0.0.1:1/', token: '', lastOnline: new Date(), lastRegister: new Date() }),
      logger,
      maxBackoffMs: 100,
      stateDir: state,
    });
    cleanups.push(() => r.close());
    r.start();
    r.reportStatus({ ...emptyMirrorStatus('later', 'w1'), status: 'success' });
    expect(await r.flush(20_000)).toBe(true);
    expect(received).toEqual(['POST /workers', 'POST /workers/w1/jobs/good', 'POST /workers/w1/jobs/later']);
    for (const line of [1, 2, 3]) expect(text()).toContain(`${file}:${line}`);
  });
});

describe('a journal that cannot be rewritten at open', () => {
  it('is appended to as it is when its temp name cannot be written, and the error names the file', async () => {
    const file = join(stateDir(), 'outbox', 'm.jsonl');
    // A torn last line (no newline): what is appended must not be glued to it.
    writeJournal(file, [add(1, '/workers/w1/jobs/a')]);
    fs.appendFileSync(file, '{"seq":2,"path":"/wor');
    mkdirSync(`${file}.tmp`);
    const o = new Outbox(file, { workerId: 'w1' });
    expect(o.recovery.rewriteError).toContain(file);
    o.push({ path: '/workers/w1/jobs/b', body: {}, what: 'b' });
    await o.close();
    expect(readFileSync(file, 'utf8')).toContain('"path":"/wor\n');
    const again = new Outbox(file, { workerId: 'w1' });
    expect(drain(again)).toEqual(['/workers/w1/jobs/a', '/workers/w1/jobs/b']);
    await again.close();
  });

  it('on ENOSPC starts without the rewrite, leaves no .tmp file, and later writes work', async () => {
    const dir = join(stateDir(), 'outbox');
    const file = join(dir, 'm.jsonl');
    writeJournal(file, [add(1, '/workers/w1/jobs/a'), JSON.stringify({ ack: 1 }), add(2, '/workers/w1/jobs/b')]);
    let full = true;
    const writeSync = ((fd: number, data: string | NodeJS.ArrayBufferView, ...rest: unknown[]): number => {
      if (full) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      return (fs.writeSync as (...a: unknown[]) => number)(fd, data, ...rest);
    }) as typeof fs.writeSync;
    const o = new Outbox(file, { workerId: 'w1', fs: { writeSync } });
    full = false;
    expect(o.recovery.rewriteError).toMatch(/ENOSPC/);
    expect(o.recovery.rewriteError).toContain(file);
    expect(readdirSync(dir)).toEqual(['m.jsonl']);
    expect(o.size).toBe(1);
    o.push({ path: '/workers/w1/jobs/c', body: {}, what: 'c' });
    await o.close();
    expect(existsSync(`${file}.tmp`)).toBe(false);
    const again = new Outbox(file, { workerId: 'w1' });
    expect(drain(again)).toEqual(['/workers/w1/jobs/b', '/workers/w1/jobs/c']);
    await again.close();
  });
});
