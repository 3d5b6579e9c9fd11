/**
 * The docker hook, with a stub `docker` first on PATH (no engine here) that
 * records its argv and runs the "container" locally, so jobs really sync.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { buildRsyncArgv, createSilentLogger } from '@tunasync/core';
import { createWorker, dockerContainerName } from '@tunasync/worker';
import { freePort, nextEvent, pidAlive, runOnce, tempDir } from './helpers.js';
import { captureLogger, hookConfig, hookedJobs, installStubs, startTestManager, stubCalls, until } from './hook-helpers.js';

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

function setup(): { dir: string; bin: string; path: string } {
  const t = tempDir('tunasync-docker-');
  cleanups.push(t.cleanup);
  return { dir: t.dir, ...installStubs(t.dir, ['docker']) };
}

const uidGid = `${process.getuid!()}:${process.getgid!()}`;
const latestLog = (logDir: string): string => join(logDir, readlinkSync(join(logDir, 'latest')));
const psArgv = (name: string): string[] => ['ps', '-a', '--filter', `name=^${name}$`, '--format', '{{.Status}}'];

/** A real rsync daemon on 127.0.0.1 serving `src` as module `pub`, user `mirror` / password `s3cret`. */
async function rsyncDaemon(dir: string, src: string): Promise<string> {
  const port = await freePort();
  const secrets = join(dir, 'rsyncd.secrets');
  writeFileSync(secrets, 'mirror:s3cret\n', { mode: 0o600 });
  const conf = join(dir, 'rsyncd.conf');
  writeFileSync(
    conf,
    `pid file = ${dir}/rsyncd.pid\nuse chroot = no\nuid = ${process.getuid!()}\ngid = ${process.getgid!()}\n[pub]\npath = ${src}\nread only = yes\nauth users = mirror\nsecrets file = ${secrets}\n`,
  );
  const child: ChildProcess = spawn('rsync', ['--daemon', '--no-detach', `--config=${conf}`, `--port=${port}`, '--address=127.0.0.1'], { stdio: 'ignore' });
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        child.once('exit', () => r());
        child.kill('SIGTERM');
      }),
  );
  await until(async () => ((await canConnect(port)) ? true : undefined));
  return `rsync://127.0.0.1:${port}/pub/`;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => {
      s.end();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

describe('docker hook', () => {
  it('runs a command mirror in docker run with the exact argv, then waits for the container to be gone', async () => {
    const { dir, bin, path } = setup();
    const exclude = join(dir, 'exclude.txt');
    writeFileSync(exclude, '*.tmp\n');
    const config = hookConfig(
      dir,
      `[docker]\nenable = true\nvolumes = ["/etc/ssl:/etc/ssl:ro"]\noptions = ["--cpus=1"]\n` +
        `[[mirrors]]\nname = "dk"\nprovider = "command"\ncommand = "sh -c 'echo synced > file.txt; echo myvar=$MYVAR'"\n` +
        `docker_image = "alpine:3"\ndocker_volumes = ["/srv/a:/srv/a"]\ndocker_options = ["--network=host"]\nmemory_limit = "256M"\nexclude_file = "${exclude}"\n` +
        `env = { PATH = "${path}", MYVAR = "hello" }\n`,
    );
    const { jobs } = await hookedJobs(config, createSilentLogger(), { dockerPollMs: 20 });
    const job = jobs.get('dk')!;
    const statuses = await runOnce(job);
    expect(statuses.at(-1)).toMatchObject({ status: 'success', final: true });
    const m = job.mirror;
    expect(readFileSync(join(m.mirrorDir, 'file.txt'), 'utf8')).toBe('synced\n');
    const logFile = latestLog(m.logDir);
    expect(readFileSync(logFile, 'utf8')).toContain('myvar=hello');
    const name = dockerContainerName('dk');
    expect(stubCalls(bin, 'docker')).toEqual([
      [
        'run', '--rm', '-a', 'STDOUT', '-a', 'STDERR', '--name', name, '-w', m.mirrorDir, '-u', uidGid,
        '-v', `${m.logDir}:${m.logDir}`, '-v', `${logFile}:${logFile}`, '-v', `${m.mirrorDir}:${m.mirrorDir}`,
        '-v', '/etc/ssl:/etc/ssl:ro', '-v', '/srv/a:/srv/a', '-v', `${exclude}:${exclude}:ro`,
        '-e', 'TUNASYNC_MIRROR_NAME', '-e', 'TUNASYNC_WORKING_DIR', '-e', 'TUNASYNC_UPSTREAM_URL', '-e', 'TUNASYNC_LOG_DIR', '-e', 'TUNASYNC_LOG_FILE',
        '-e', 'PATH', '-e', 'MYVAR', '-m', String(256 * 1024 * 1024), '--cpus=1', '--network=host', 'alpine:3',
        'sh', '-c', 'echo synced > file.txt; echo myvar=$MYVAR',
      ],
      psArgv(name),
    ]);
  });

  it('runs an rsync mirror in docker too: real rsync daemon, password only in the environment, exclude file read-only', async () => {
    const { dir, bin, path } = setup();
    const src = join(dir, 'upstream');
    mkdirSync(join(src, 'pool'), { recursive: true });
    writeFileSync(join(src, 'pool', 'a.deb'), 'A'.repeat(1000));
    writeFileSync(join(src, 'junk.tmp'), 'x');
    const upstream = await rsyncDaemon(dir, src);
    const exclude = join(dir, 'exclude.txt');
    writeFileSync(exclude, '*.tmp\n');
    const config = hookConfig(
      dir,
      `[docker]\nenable = true\n[[mirrors]]\nname = "rs"\nprovider = "rsync"\nupstream = "${upstream}"\nusername = "mirror"\npassword = "s3cret"\n` +
        `exclude_file = "${exclude}"\ndocker_image = "tunasync/rsync"\nenv = { PATH = "${path}" }\n`,
    );
    const { jobs } = await hookedJobs(config, createSilentLogger(), { dockerPollMs: 20 });
    const job = jobs.get('rs')!;
    const statuses = await runOnce(job);
    expect(statuses.at(-1)).toMatchObject({ status: 'success', final: true });
    expect(readFileSync(join(job.mirror.mirrorDir, 'pool', 'a.deb'), 'utf8')).toBe('A'.repeat(1000));
    expect(existsSync(join(job.mirror.mirrorDir, 'junk.tmp'))).toBe(false);
    const calls = stubCalls(bin, 'docker');
    expect(calls).toHaveLength(2);
    const run = calls[0]!;
    const image = run.indexOf('tunasync/rsync');
    expect(run.slice(image + 1)).toEqual(buildRsyncArgv(job.mirror));
    expect(run).toEqual(expect.arrayContaining(['-e', 'RSYNC_PASSWORD', '-e', 'USER', `${exclude}:${exclude}:ro`]));
    expect(run.join(' ')).not.toContain('s3cret');
    expect(calls[1]).toEqual(psArgv(dockerContainerName('rs')));
  });

  it('a stop during a docker job runs docker stop -t 2 <name>, then waits for the container to be gone', async () => {
    const { dir, bin, path } = setup();
    const config = hookConfig(
      dir,
      `[docker]\nenable = true\n[[mirrors]]\nname = "slow"\nprovider = "command"\ncommand = "sleep 30"\ndocker_image = "alpine:3"\nenv = { PATH = "${path}" }\n`,
    );
    const { jobs } = await hookedJobs(config, createSilentLogger(), { dockerPollMs: 20 });
    const job = jobs.get('slow')!;
    const name = dockerContainerName('slow');
    const end = nextEvent(job, 'run-end');
    await job.control('start');
    const pid = await until(() => (existsSync(join(bin, `${name}.pid`)) ? Number(readFileSync(join(bin, `${name}.pid`), 'utf8')) : undefined));
    await until(() => (pidAlive(pid) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('sleep') ? true : undefined));
    await job.control('stop');
    expect((await end).outcome).toBe('failed');
    expect(job.state).toBe('paused');
    expect(pidAlive(pid)).toBe(false);
    const calls = stubCalls(bin, 'docker');
    expect(calls.map((c) => c[0])).toEqual(['run', 'stop', 'ps']);
    expect(calls[1]).toEqual(['stop', '-t', '2', name]);
    expect(calls[2]).toEqual(psArgv(name));
  });

  it('waits a bounded time for a container that is not removed, then warns', async () => {
    const { dir, bin, path } = setup();
    writeFileSync(join(bin, 'stuck'), '');
    const config = hookConfig(
      dir,
      `[docker]\nenable = true\n[[mirrors]]\nname = "st"\nprovider = "command"\ncommand = "true"\ndocker_image = "alpine:3"\nenv = { PATH = "${path}" }\n`,
    );
    const { logger, lines } = captureLogger();
    const { jobs } = await hookedJobs(config, logger, { dockerRemoveWaitMs: 300, dockerPollMs: 50 });
    const started = Date.now();
    const statuses = await runOnce(jobs.get('st')!);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(statuses.at(-1)).toMatchObject({ status: 'success' });
    const name = dockerContainerName('st');
    expect(lines.filter((l) => l.includes('[warn]'))).toEqual([
      expect.stringContaining(`container ${name} not removed automatically (Exited (0) 2 seconds ago), next sync may fail`),
    ]);
    const ps = stubCalls(bin, 'docker').filter((c) => c[0] === 'ps');
    // A first look, and at least one more after a pause (more when ps is fast).
    expect(ps.length).toBeGreaterThanOrEqual(2);
    expect(ps.every((c) => JSON.stringify(c) === JSON.stringify(psArgv(name)))).toBe(true);
  });

  it('through createWorker: a mirror without an image runs locally, and a memory limit nothing applies is ignored with one warning', async () => {
    const { dir, bin, path } = setup();
    const mgr = await startTestManager(join(dir, 'manager.db'));
    cleanups.push(() => mgr.close());
    const config = hookConfig(
      dir,
      `[manager]\napi_base = "${mgr.base}"\n[server]\nhostname = "127.0.0.1"\nlisten_addr = "127.0.0.1"\nlisten_port = 0\n` +
        `[docker]\nenable = true\n[[mirrors]]\nname = "plain"\nprovider = "command"\ncommand = "sh -c 'echo local > here.txt'"\nmemory_limit = "64M"\nenv = { PATH = "${path}" }\n` +
        `[[mirrors]]\nname = "boxed"\nprovider = "command"\ncommand = "sh -c 'echo boxed > here.txt'"\nmemory_limit = "64M"\ndocker_image = "alpine:3"\nenv = { PATH = "${path}" }\n`,
    );
    const { logger, lines } = captureLogger();
    const w = await createWorker({ config, logger, graceMs: 300, maxBackoffMs: 200, registerWaitMs: 3000 });
    cleanups.push(() => w.halt());
    const warnings = lines.filter((l) => l.includes('[warn]'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('memory_limit ignored for plain: neither [cgroup] nor [docker] with a docker_image applies to it');
    const ends = ['plain', 'boxed'].map((name) => nextEvent(w.jobs.get(name)!, 'run-end'));
    await w.start();
    expect((await Promise.all(ends)).map((e) => e.outcome)).toEqual(['success', 'success']);
    expect(readFileSync(join(dir, 'data', 'plain', 'here.txt'), 'utf8')).toBe('local\n');
    expect(readFileSync(join(dir, 'data', 'boxed', 'here.txt'), 'utf8')).toBe('boxed\n');
    const runs = stubCalls(bin, 'docker').filter((c) => c[0] === 'run');
    expect(runs).toHaveLength(1);
    expect(runs[0]).toEqual(expect.arrayContaining(['--name', dockerContainerName('boxed'), '-m', String(64 * 1024 * 1024)]));
  });

  it('warns once at start when docker_image is set but [docker] is disabled, and runs the mirror locally', async () => {
    const { dir, bin, path } = setup();
    const config = hookConfig(
      dir,
      `[[mirrors]]\nname = "nod"\nprovider = "command"\ncommand = "true"\ndocker_image = "alpine:3"\nenv = { PATH = "${path}" }\n`,
    );
    const { logger, lines } = captureLogger();
    const { jobs } = await hookedJobs(config, logger);
    expect(lines.filter((l) => l.includes('[warn]'))).toEqual([expect.stringContaining('docker_image ignored for nod: [docker] enable is false')]);
    expect((await runOnce(jobs.get('nod')!)).at(-1)).toMatchObject({ status: 'success' });
    expect(stubCalls(bin, 'docker')).toEqual([]);
  });
});
