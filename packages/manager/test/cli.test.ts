/**
 * The built bin, spawned as a child process: it answers /ping, exits 0 on
 * SIGTERM (and SIGINT) after removing its pidfile, and refuses db_type bolt
 * or a Bolt file with a clear message and exit status 1.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { runScript } from '@tunasync/testkit';
import { call } from './helpers.js';

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const bin = join(root, 'packages/manager/dist/cli.js');
let dir: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  // Make sure dist is current (incremental: fast when nothing changed).
  await run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-b', 'packages/manager'], { cwd: root });
  dir = mkdtempSync(join(tmpdir(), 'tunasync-cli-'));
}, 120_000);
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

interface Started {
  child: ChildProcess;
  url: string;
  output: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns the bin and waits for its "listening on" line. */
function startBin(args: string[]): Promise<Started> {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
  return new Promise((resolvePromise, reject) => {
    const onData = (b: Buffer): void => {
      out += b.toString();
      const m = /listening on (https?:\/\/[\d.]+:\d+)/.exec(out);
      if (m) resolvePromise({ child, url: m[1]!, output: () => out, exit });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exit.then(({ code }) => reject(new Error(`exited ${code} before listening:\n${out}`)));
  });
}

/** Runs the bin to completion. */
async function runBin(args: string[]): Promise<{ code: number; output: string }> {
  const r = await runScript(bin, args, { timeoutMs: 20_000 });
  return { code: r.code, output: r.stdout + r.stderr };
}

describe('tunasync-manager bin', () => {
  it('starts with a config file, answers /ping, and exits 0 on SIGTERM removing its pidfile', async () => {
    const conf = join(dir, 'manager.conf');
    const pidfile = join(dir, 'manager.pid');
    writeFileSync(conf, `debug = false\n[server]\naddr = "127.0.0.1"\nport = 14242\n[files]\ndb_type = "sqlite"\ndb_file = "${join(dir, 'a.db')}"\n`);
    // --port overrides the file: 0 picks a free port.
    const s = await startBin(['-c', conf, '--port', '0', '--pidfile', pidfile, '--with-systemd']);
    expect((await call(s.url, 'GET', '/ping')).body).toEqual({ message: 'pong' });
    expect(readFileSync(pidfile, 'utf8').trim()).toBe(String(s.child.pid));
    const reg = await call(s.url, 'POST', '/workers', { body: { id: 'w', url: 'http://w:6000/' } });
    expect(reg.status).toBe(200);
    s.child.kill('SIGTERM');
    expect(await s.exit).toEqual({ code: 0, signal: null });
    expect(existsSync(pidfile)).toBe(false);
    expect(s.output()).toMatch(/SIGTERM received, shutting down/);
    // --with-systemd: no timestamps.
    expect(s.output()).toMatch(/^\[info\] \[manager\] tunasync manager listening/m);
    // Without -v, nothing at the verbose level.
    expect(s.output()).not.toMatch(/\[verbose\]/);

    // The same db file after a restart still has the worker.
    const again = await startBin(['--port', '0', '--db-file', join(dir, 'a.db')]);
    expect((await call(again.url, 'GET', '/workers')).body.map((w: { id: string }) => w.id)).toEqual(['w']);
    again.child.kill('SIGINT');
    expect((await again.exit).code).toBe(0);
  });

  it('-v logs at the verbose level: the config in use, each schedules update', async () => {
    const s = await startBin(['-v', '--port', '0', '--db-file', join(dir, 'v.db'), '--with-systemd']);
    await call(s.url, 'POST', '/workers', { body: { id: 'w', url: 'http://w:6000/' } });
    await call(s.url, 'POST', '/workers/w/schedules', { body: { schedules: [] } });
    s.child.kill('SIGTERM');
    expect((await s.exit).code).toBe(0);
    expect(s.output()).toMatch(/^\[verbose\] \[manager\] config <defaults>: store sqlite /m);
    expect(s.output()).toMatch(/^\[verbose\] \[manager\] Worker <w> updated 0 schedule\(s\)/m);
    expect(s.output()).not.toMatch(/\[debug\]/);
  });

  it('refuses half a TLS setup at config load, naming file and key, before opening the store', async () => {
    const conf = join(dir, 'tls.conf');
    writeFileSync(conf, `[server]\nssl_cert = "${join(dir, 'missing.crt')}"\n`);
    const db = join(dir, 'never.db');
    const r = await runBin(['-c', conf, '--port', '0', '--db-file', db]);
    expect(r.code).toBe(1);
    expect(r.output).toContain(`${conf}: server.ssl_key: ssl_cert and ssl_key must be set together`);
    expect(existsSync(db)).toBe(false);
  });

  it('refuses db_type bolt with a clear message and exit status 1', async () => {
    const r = await runBin(['--port', '0', '--db-type', 'bolt', '--db-file', join(dir, 'b.db')]);
    expect(r.code).toBe(1);
    expect(r.output).toMatch(/db_type = "bolt" is not supported: tunasync-ts stores its state in SQLite only/);
    expect(existsSync(join(dir, 'b.db'))).toBe(false);
  });

  it('refuses a Bolt file left by tunasync', async () => {
    const file = join(dir, 'manager.db');
    const page = Buffer.alloc(4096);
    page.writeUInt32LE(0xed0cdaed, 16);
    writeFileSync(file, page);
    const r = await runBin(['--port', '0', '--db-file', file]);
    expect(r.code).toBe(1);
    expect(r.output).toMatch(/is a Bolt database \(tunasync's default store\), which tunasync-ts cannot read/);
  });

  it('reports config errors naming the file and key, and unknown flags', async () => {
    const conf = join(dir, 'bad.conf');
    writeFileSync(conf, '[server]\nport = "high"\n');
    const r = await runBin(['-c', conf]);
    expect(r.code).toBe(1);
    expect(r.output).toContain(`${conf}: server.port`);
    const u = await runBin(['--no-such-flag']);
    expect(u.code).not.toBe(0);
    expect(u.output).toMatch(/Unknown argument/);
    const p = await runBin(['--port', 'abc']);
    expect(p.code).not.toBe(0);
    expect(p.output).toMatch(/--port must be an integer from 0 to 65535/);
  });
});
