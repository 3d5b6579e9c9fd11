/**
 * examples/ as an operator and a provider author use them: worker.conf
 * passes `tunasync-worker --dry-run`, the systemd units' command lines are
 * accepted by the real bins, and the custom provider runs in a real worker
 * reporting to a real manager.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSilentLogger, parseWorkerConfig } from '@tunasync/core';
import { createWorker } from '@tunasync/worker';
import { getJson, startManager, until, type Cleanups } from './harness.js';
import { runScript as node } from '@tunasync/testkit';
import { tempDir } from './helpers.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const examples = join(repo, 'examples');
const providerModule = join(examples, 'custom-provider', 'http-file-provider.js');

let cleanups: Cleanups = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

/** The `[Service]` and other settings of a systemd unit, key → values in order. */
function unitSettings(file: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (m) out.set(m[1]!, [...(out.get(m[1]!) ?? []), m[2]!]);
  }
  return out;
}

/** The bin of `pkg` that the unit's ExecStart names, as a built script, and the ExecStart arguments. */
function execStart(unit: Map<string, string[]>, pkg: string): { script: string; args: string[] } {
  const [line, ...more] = unit.get('ExecStart') ?? [];
  expect(more).toEqual([]);
  const [program, ...args] = line!.split(/\s+/);
  const bins = (JSON.parse(readFileSync(join(repo, 'packages', pkg, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin;
  const target = bins[basename(program!)];
  expect(target).toBeDefined();
  return { script: join(repo, 'packages', pkg, target!), args };
}

describe('examples/worker.conf', () => {
  it('passes tunasync-worker --dry-run with no warning and lists every job', async () => {
    const r = await node(join(repo, 'packages', 'worker', 'dist', 'cli.js'), ['--dry-run', '-c', join(examples, 'worker.conf')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // Each job's line, then an indented line with its schedule and next runs.
    const lines = r.stdout.trim().split('\n').filter((l) => !l.startsWith('  '));
    expect(r.stdout).toContain('\n  every 240 min at fixed times from 00:30 Asia/Shanghai');
    expect(lines.at(-1)).toBe('8 jobs for worker worker1, reporting to http://127.0.0.1:14242');
    expect(lines.map((l) => l.split('\t')[0])).toEqual(['debian', 'ubuntu', 'archlinux', 'centos-vault', 'pypi', 'ctan', 'texlive-historic', 'hello-file', expect.any(String)]);
    expect(lines).toContain('debian\ttwo-stage-rsync\trsync://ftp.debian.org/debian/\tcron "0 */4 * * *"\t/srv/tunasync/debian');
    expect(lines).toContain('ctan\trsync\trsync://rsync.dante.ctan.org/CTAN/\tevery 720 min\t/srv/tunasync/ctan-family/ctan');
  });
});

describe('examples/systemd', () => {
  it('tunasync-worker.service: delegated cgroup, reload by SIGHUP, and an ExecStart the worker accepts', async () => {
    const unit = unitSettings(join(examples, 'systemd', 'tunasync-worker.service'));
    expect(unit.get('Delegate')).toEqual(['yes']);
    expect(unit.get('ExecReload')).toEqual(['/bin/kill -HUP $MAINPID']);
    // Syncs left running on SIGTERM (keep_syncs_on_restart) must outlive the stop.
    expect(unit.get('KillMode')).toEqual(['process']);
    const { script, args } = execStart(unit, 'worker');
    expect(script).toBe(join(repo, 'packages', 'worker', 'bin', 'tunasync-worker.js'));
    expect(args).toEqual(['-c', '/etc/tunasync/worker.conf', '--with-systemd']);
    // The same flags, on the example config, with --dry-run: accepted by the strict parser.
    const r = await node(script, [...args.map((a) => (a === '/etc/tunasync/worker.conf' ? join(examples, 'worker.conf') : a)), '--dry-run']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('tunasync-manager.service: an ExecStart the manager starts with on examples/manager.conf', async () => {
    const unit = unitSettings(join(examples, 'systemd', 'tunasync-manager.service'));
    expect(unit.get('StateDirectory')).toEqual(['tunasync']);
    const { script, args } = execStart(unit, 'manager');
    expect(script).toBe(join(repo, 'packages', 'manager', 'bin', 'tunasync-manager.js'));
    expect(args).toEqual(['-c', '/etc/tunasync/manager.conf', '--with-systemd']);
    const t = tempDir();
    cleanups.push(t.cleanup);
    const argv = [...args.map((a) => (a === '/etc/tunasync/manager.conf' ? join(examples, 'manager.conf') : a)), '--port', '0', '--db-file', join(t.dir, 'm.db')];
    const child = spawn(process.execPath, [script, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    cleanups.push(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const url = await until(async () => /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1]);
    // --with-systemd: no timestamp in front of the level.
    expect(out).toMatch(/^\[info\] \[manager\] tunasync manager listening on/m);
    expect(out).not.toMatch(/warn/);
    expect(await getJson(`${url}/workers`)).toEqual([]);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});

describe('examples/tls/README.md', () => {
  it('its tunasync-certs commands make every file its config snippets name', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const text = readFileSync(join(examples, 'tls', 'README.md'), 'utf8').replaceAll('/etc/tunasync/pki', `${t.dir}/pki`);
    const commands = text.replaceAll('\\\n', ' ').split('\n').filter((l) => l.startsWith('tunasync-certs '));
    expect(commands).toHaveLength(3);
    for (const c of commands) {
      const r = await node(join(repo, 'packages', 'certs', 'dist', 'cli.js'), c.split(/\s+/).slice(1));
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    }
    const named = [...text.matchAll(/```toml\n([\s\S]*?)```/g)].flatMap((m) => [...m[1]!.matchAll(/"([^"]*\/pki\/[^"]*)"/g)].map((x) => x[1]!));
    expect(new Set(named)).toEqual(new Set(['rootCA.crt', 'hosts/manager.crt', 'hosts/manager.key', 'hosts/worker1.crt', 'hosts/worker1.key'].map((f) => `${t.dir}/pki/${f}`)));
    for (const f of named) expect(existsSync(f)).toBe(true);
  });
});

describe('examples/custom-provider', () => {
  it('is loaded by a real worker from its path and syncs a file over HTTP to success', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const body = `hello from the custom provider ${'x'.repeat(2000)}\n`;
    const upstream = createServer((req, res) => {
      if (req.url === '/pub/hello.txt') res.end(body);
      else res.writeHead(404).end('not here');
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise<void>((r) => upstream.close(() => r())));
    const files = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/pub`;
    const m = await startManager(join(t.dir, 'manager.db'));
    cleanups.push(() => m.close());

    const text = `[global]\nname = "w1"\nlog_dir = "${t.dir}/log/{{.Name}}"\nmirror_dir = "${t.dir}/data"\n[manager]\napi_base = "${m.base}"\n[server]\nhostname = "127.0.0.1"\nlisten_port = 0\n
[[mirrors]]\nname = "hello"\nprovider = "${providerModule}"\nupstream = "${files}/hello.txt"\n
[[mirrors]]\nname = "missing"\nprovider = "${providerModule}"\nupstream = "${files}/gone.txt"\nretry = 1\n`;
    const { config, warnings } = parseWorkerConfig(text, join(t.dir, 'worker.conf'));
    expect(warnings).toEqual([]);
    const w = await createWorker({ config, logger: createSilentLogger(), graceMs: 300, maxBackoffMs: 200 });
    cleanups.push(() => w.halt());
    expect(w.jobs.size).toBe(2);
    await w.start();

    type Job = { name: string; status: string; size: string; error_msg: string };
    const jobs = await until(async () => {
      const list = (await getJson(`${m.base}/workers/w1/jobs`)) as Job[];
      return list.length === 2 && list.every((j) => j.status === 'success' || j.status === 'failed') ? list : undefined;
    }, 'both example jobs ended', 20_000);
    const byName = Object.fromEntries(jobs.map((j) => [j.name, j]));
    expect(byName.hello).toMatchObject({ status: 'success', size: '2K' });
    expect(readFileSync(join(t.dir, 'data', 'hello', 'hello.txt'), 'utf8')).toBe(body);
    expect(readdirSync(join(t.dir, 'data', 'hello'))).toEqual(['hello.txt']);
    const log = readFileSync(join(t.dir, 'log', 'hello', 'latest'), 'utf8');
    expect(log).toContain(`fetched ${files}/hello.txt -> ${join(t.dir, 'data', 'hello', 'hello.txt')} (${body.length} bytes)`);
    expect(byName.missing).toMatchObject({ status: 'failed' });
    expect(byName.missing!.error_msg).toContain(`GET ${files}/gone.txt: HTTP 404`);
  });

  it('type-checks against @tunasync/core as a provider author would (checkJs)', async () => {
    const tsc = join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
    const flags = ['--noEmit', '--allowJs', '--checkJs', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node'];
    const r = await node(tsc, [...flags, providerModule]);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.code).toBe(0);
    // And the check has teeth: a copy without run(), beside the same node_modules, is an error naming Provider.
    const t = tempDir();
    cleanups.push(t.cleanup);
    symlinkSync(join(repo, 'node_modules'), join(t.dir, 'node_modules'));
    const broken = join(t.dir, 'broken-provider.js');
    const source = readFileSync(providerModule, 'utf8');
    writeFileSync(broken, source.replace('async run(', 'async go('));
    expect(readFileSync(broken, 'utf8')).not.toBe(source);
    const bad = await node(tsc, [...flags, broken]);
    expect(bad.code).not.toBe(0);
    expect(bad.stdout).toMatch(/Property 'run' is missing .* 'Provider'/);
  }, 120_000); // two cold tsc runs: about 10 s each alone, far more on a loaded machine
});
