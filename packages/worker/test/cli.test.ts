import { afterEach, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runScript, tempDir, type ScriptResult } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..', '..');
const bin = join(repo, 'packages', 'worker', 'dist', 'cli.js');
const fixture = join(repo, 'packages', 'testkit', 'fixtures', 'large-site-worker.conf');

let cleanup: () => void = () => {};
afterEach(() => cleanup());

const cli = (args: string[]): Promise<ScriptResult> => runScript(bin, args);

describe('tunasync-worker --dry-run', () => {
  it("loads a large site's worker.conf (packages/testkit/fixtures) unchanged and lists its 79 jobs", async () => {
    expect(existsSync(fixture)).toBe(true);
    const r = await cli(['--dry-run', '-c', fixture]);
    expect(r.code).toBe(0);
    // Each job's line, then an indented line with its schedule and next runs.
    const all = r.stdout.trim().split('\n');
    const lines = all.filter((l) => !l.startsWith('  '));
    expect(all.length - lines.length).toBe(79);
    expect(lines).toHaveLength(80);
    expect(lines).toContain('alpine\trsync\trsync://rsync.alpinelinux.org/alpine/\tevery 240 min\t/srv/mirror/data/alpine');
    expect(lines.find((l) => l.startsWith('debian\t'))).toMatch(/^debian\ttwo-stage-rsync\t/);
    expect(lines.at(-1)).toBe('79 jobs for worker mirror-box-1, reporting to http://manager.mirrors.example.edu:14242');
  });

  it('fails with the file, key and reason, and creates nothing', async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const conf = join(t.dir, 'worker.conf');
    writeFileSync(conf, `[global]\nname = "w"\nlog_dir = "${t.dir}/log"\nmirror_dir = "${t.dir}/data"\n[[mirrors]]\nname = "a"\nprovider = "rsync"\nupstream = "rsync://x/a"\ninterval = "often"\n`);
    const r = await cli(['--dry-run', '-c', conf]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${conf}: mirrors[0].interval: must be integer`);
    expect(r.stderr).toContain(`${conf}: mirrors[0].upstream: rsync upstream must end with "/"`);
    expect(readdirSync(t.dir)).toEqual(['worker.conf']);
  });
});

describe('tunasync-worker daemon', () => {
  it('starts, runs a job, and exits 0 on SIGTERM', async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const conf = join(t.dir, 'worker.conf');
    // No manager is listening: the worker keeps retrying and still runs its jobs.
    writeFileSync(conf, `[global]\nname = "w"\nlog_dir = "${t.dir}/log/{{.Name}}"\nmirror_dir = "${t.dir}/data"\n[manager]\napi_base = "http://127.0.0.1:9"\n[server]\nlisten_port = 0\n[[mirrors]]\nname = "a"\nprovider = "command"\ncommand = "touch ${t.dir}/ran"\n`);
    const child = spawn(process.execPath, [bin, '-c', conf, '--pidfile', join(t.dir, 'pid')], { stdio: ['ignore', 'ignore', 'pipe'] });
    const deadline = Date.now() + 15_000;
    while (!existsSync(join(t.dir, 'ran')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(existsSync(join(t.dir, 'ran'))).toBe(true);
    expect(existsSync(join(t.dir, 'pid'))).toBe(true);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(existsSync(join(t.dir, 'pid'))).toBe(false);
  });
});
