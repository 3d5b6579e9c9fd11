/** bin `tunasync` (tunasync's own command line): `worker` and `manager` subcommands, spawned as a user would. */
import { afterEach, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { until } from './harness.js';
import { freePort, runScript, tempDir, type ScriptResult } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const bin = resolve(here, '..', 'dist', 'compat-cli.js');
const fixture = resolve(here, '..', '..', 'testkit', 'fixtures', 'large-site-worker.conf');

let cleanup: () => void = () => {};
afterEach(() => cleanup());

const tunasync = (args: string[]): Promise<ScriptResult> => runScript(bin, args);

describe('tunasync (compatibility bin)', () => {
  it('worker -c FILE --dry-run lists the jobs; Go-only --prof-path is accepted and ignored', async () => {
    const r = await tunasync(['worker', '--prof-path', '/tmp/prof', '-c', fixture, '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').at(-1)).toBe('79 jobs for worker mirror-box-1, reporting to http://manager.mirrors.example.edu:14242');
    expect(r.stderr).toContain('--prof-path is a Go-only flag, ignored');
    const alias = await tunasync(['w', '--config', fixture, '--dry-run']);
    expect(alias.code).toBe(0);
    expect(alias.stdout).toBe(r.stdout);
  });

  it('manager with the Go flags starts a real manager that stops on SIGTERM', async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const port = await freePort();
    const db = join(t.dir, 'manager.db');
    const child = spawn(process.execPath, [bin, 'manager', '--addr', '127.0.0.1', '--port', String(port), '--db-file', db, '--status-file', '/tmp/x', '--pidfile', join(t.dir, 'pid')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const pong = await until(async () => (await (await fetch(`http://127.0.0.1:${port}/ping`)).json()) as unknown);
    expect(pong).toEqual({ message: 'pong' });
    expect(existsSync(db)).toBe(true);
    expect(existsSync(join(t.dir, 'pid'))).toBe(true);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(existsSync(join(t.dir, 'pid'))).toBe(false);
    expect(stderr).toContain('--status-file is a Go-only flag, ignored');
  });

  it('an unknown or missing command prints the usage and exits 1', async () => {
    const r = await tunasync(['mirror']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('tunasync: unknown command "mirror"');
    expect(r.stderr).toContain('manager, m');
    expect((await tunasync([])).code).toBe(1);
    const help = await tunasync(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('worker, w');
  });
});
