/**
 * The README's quick start: `npm start` (scripts/start.mjs) runs a manager and
 * a worker on examples/demo/worker.conf, both demo jobs reach success at the
 * manager, the printed tunasynctl line works, and Ctrl-C stops everything.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { execFile, spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loadWorkerConfig } from '@tunasync/core';
import { getJson, until } from './harness.js';
import { freePort, pidAlive, tempDir } from './helpers.js';
import { snapshot } from './trees.js';

const run = promisify(execFile);
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const t = tempDir('tunasync-demo-');
const pids: number[] = [];
afterAll(() => {
  for (const pid of pids) if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
  t.cleanup();
});

/** True when something accepts connections on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((r) => {
    const c = connect(port, '127.0.0.1', () => {
      c.destroy();
      r(true);
    });
    c.once('error', () => r(false));
  });
}

describe('npm start (scripts/start.mjs)', () => {
  it('loads examples/demo/worker.conf as committed', () => {
    const { config, warnings } = loadWorkerConfig(join(repo, 'examples', 'demo', 'worker.conf'));
    expect(warnings).toEqual([]);
    expect(config.mirrors.map((m) => [m.name, m.provider])).toEqual([
      ['sample', 'rsync'],
      ['hello', 'command'],
    ]);
    expect(config.manager.apiBaseList).toEqual(['http://127.0.0.1:14242']);
  });

  it('runs both demo jobs to success, prints where to look, and stops cleanly on SIGINT', async () => {
    const port = await freePort();
    const state = join(t.dir, 'state');
    const child = spawn(process.execPath, [join(repo, 'scripts', 'start.mjs')], {
      cwd: repo,
      env: { ...process.env, TUNASYNC_DEMO_PORT: String(port), TUNASYNC_DEMO_STATE_DIR: state },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    pids.push(child.pid!);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));

    const banner = await until(async () => (out.includes('Ctrl-C stops it') && out.includes('logs ') ? out : undefined), 'the demo banner', 60_000);
    const daemons = [...banner.matchAll(/\(pid (\d+);/g)].map((m) => Number(m[1]));
    expect(daemons).toHaveLength(2);
    pids.push(...daemons);
    const ctlLine = `npx tunasynctl list --all -m 127.0.0.1 -p ${port}`;
    expect(banner).toContain(ctlLine);
    expect(banner).toContain(`logs     ${join(state, 'log')}`);
    expect(banner).toContain(`mirrors  ${join(state, 'mirrors')}`);

    type Job = { name: string; status: string; size: string };
    const jobs = await until(async () => {
      const list = (await getJson(`http://127.0.0.1:${port}/jobs`)) as Job[];
      return list.length === 2 && list.every((j) => j.status === 'success') ? list : undefined;
    }, 'both demo jobs succeeded', 30_000);
    expect(jobs.map((j) => j.name).sort()).toEqual(['hello', 'sample']);
    expect(jobs.find((j) => j.name === 'hello')!.size).toBe('1K');

    // The printed tunasynctl line, with the repository's built bin, shows the same.
    const [, , ...ctlArgs] = ctlLine.split(' ');
    const ctl = await run(process.execPath, [join(repo, 'packages', 'ctl', 'dist', 'cli.js'), ...ctlArgs]);
    const listed = JSON.parse(ctl.stdout) as Job[];
    expect(listed.map((j) => [j.name, j.status]).sort()).toEqual([
      ['hello', 'success'],
      ['sample', 'success'],
    ]);

    // rsync really mirrored the sample tree, and the logs are where the banner says.
    const sample = join(repo, 'examples', 'demo', 'sample-tree');
    expect(snapshot(join(state, 'mirrors', 'sample'))).toEqual(snapshot(sample));
    expect(readFileSync(join(state, 'mirrors', 'hello', 'hello.txt'), 'utf8')).not.toBe('');
    expect(readdirSync(join(state, 'log')).sort()).toEqual(['hello', 'sample']);
    expect(readFileSync(join(state, 'log', 'sample', 'latest'), 'utf8')).toMatch(/Total file size: \d+ bytes/);

    // The generated config is the committed one with absolute paths and the port: --dry-run accepts it.
    const generated = join(state, 'worker.conf');
    const dry = await run(process.execPath, [join(repo, 'packages', 'worker', 'dist', 'cli.js'), '--dry-run', '-c', generated]);
    expect(dry.stderr).toBe('');
    expect(dry.stdout).toContain(`sample\trsync\t${sample}/\tevery 5 min\t${join(state, 'mirrors', 'sample')}`);
    expect(dry.stdout).toContain(`2 jobs for worker demo-worker, reporting to http://127.0.0.1:${port}`);

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out).toContain('demo stopped');
    expect(out).toMatch(/\[worker\] SIGTERM: stopping jobs/);
    expect(out).toMatch(/\[manager\] tunasync manager stopped/);
    for (const pid of daemons) expect(pidAlive(pid)).toBe(false);
    expect(await listening(port)).toBe(false);
  }, 90_000);
});
