/**
 * The cgroup hook against this machine's real cgroup filesystem (it runs
 * where the test may create groups: as root on the development and CI
 * machines). The test process itself is never moved: job groups live under
 * a group made for the test (below the test's own group on v1; below the
 * root on v2, where a group holding processes cannot have sub-groups with
 * limits), and implicit mode is exercised with a child process standing in
 * for the worker. Nothing of it is left afterwards.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { ConfigError, createSilentLogger, parseWorkerConfig } from '@tunasync/core';
import {
  WorkerCgroups,
  createWorker,
  detectCgroupVersion,
  hierarchyRoot,
  kernelCgroupFs,
  memoryLimitFile,
  ownCgroupPath,
  type CgroupVersion,
} from '@tunasync/worker';
import { nextEvent, pidAlive, runOnce, tempDir } from './helpers.js';
import { hookConfig, hookedJobs, until } from './hook-helpers.js';

interface RealCgroups {
  version: CgroupVersion;
  hier: string;
  /** The test process's own group, relative to the hierarchy. */
  own: string;
  /** Where the test's groups go, relative to the hierarchy. */
  parent: string;
}

/** The real cgroupfs, if the test may create groups in it. */
async function realCgroups(): Promise<RealCgroups | undefined> {
  const version = await detectCgroupVersion(kernelCgroupFs);
  if (!version) return undefined;
  const own = ownCgroupPath(readFileSync('/proc/self/cgroup', 'utf8'), version);
  if (own === undefined) return undefined;
  const hier = hierarchyRoot(version);
  const parent = version === 1 ? own : '/';
  const probe = posix.join(hier, parent, `tunasync-probe-${process.pid}`);
  try {
    mkdirSync(probe);
    rmdirSync(probe);
  } catch {
    return undefined;
  }
  return { version, hier, own, parent };
}

const real = await realCgroups();
const made: string[] = [];

/** Removes, deepest first, whatever test group is left (after killing what is in it). */
function sweep(dir: string): void {
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) sweep(join(dir, e.name));
  for (const pid of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // gone
    }
  }
  for (let i = 0; i < 100; i++) {
    try {
      rmdirSync(dir);
      return;
    } catch {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
}

afterAll(() => {
  const leftovers = made.filter((d) => existsSync(d));
  for (const d of leftovers) sweep(d);
  expect(leftovers).toEqual([]);
});

// The development and CI machines run the tests as root with a cgroup
// filesystem: a machine without one fails here, clearly, instead of skipping.
if (!real) throw new Error('cannot create cgroups here: these tests need root and a writable cgroup filesystem (as on CI)');

describe(`real cgroup filesystem (v${real.version})`, () => {
  const r = real;
  const limitFile = memoryLimitFile(r.version);

  function testGroup(tag: string): { group: string; dir: string } {
    const group = posix.join(r.parent, `tunasync-test-${process.pid}-${tag}`);
    const dir = posix.join(r.hier, group);
    made.push(dir);
    return { group, dir };
  }

  it('runs a job in its own cgroup with memory_limit = "64M", then kills everything in it and removes it', async () => {
    const t = tempDir('tunasync-cgreal-');
    const { group, dir: base } = testGroup('limit');
    const config = hookConfig(
      t.dir,
      `[cgroup]\nenable = true\ngroup = "${group}"\n[[mirrors]]\nname = "mem"\nprovider = "command"\nmemory_limit = "64M"\n` +
        `command = "sh -c 'setsid sleep 300 & echo $! > bg.pid; exec sleep 30'"\n`,
    );
    const { jobs, hooks } = await hookedJobs(config, createSilentLogger());
    try {
      const job = jobs.get('mem')!;
      const jobDir = posix.join(base, 'mem');
      const end = nextEvent(job, 'run-end');
      await job.control('start');
      const bgFile = join(job.mirror.mirrorDir, 'bg.pid');
      const bg = await until(() => (existsSync(bgFile) && statSync(bgFile).size > 0 ? Number(readFileSync(bgFile, 'utf8')) : undefined));
      const pids = await until(() => {
        const p = readFileSync(posix.join(jobDir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
        return p.length >= 2 ? p : undefined;
      });
      expect(pids).toContain(bg);
      expect(readFileSync(posix.join(jobDir, limitFile), 'utf8').trim()).toBe(String(64 * 1024 * 1024));
      const inGroup = ownCgroupPath(readFileSync(`/proc/${bg}/cgroup`, 'utf8'), r.version);
      expect(inGroup).toBe(posix.join(group, 'mem'));
      // The test process stays where it was.
      expect(ownCgroupPath(readFileSync('/proc/self/cgroup', 'utf8'), r.version)).toBe(r.own);
      await job.control('stop');
      expect((await end).outcome).toBe('failed');
      // The background process left the job's process group (setsid): only the cgroup could catch it.
      expect(pidAlive(bg)).toBe(false);
      expect(existsSync(jobDir)).toBe(false);
    } finally {
      await hooks.close();
      t.cleanup();
    }
    expect(existsSync(base)).toBe(false);
  });

  it('a job allocating past its limit is killed by the kernel and reported failed', async () => {
    const t = tempDir('tunasync-cgoom-');
    const { group, dir: base } = testGroup('oom');
    const hog = join(t.dir, 'hog.mjs');
    writeFileSync(hog, 'const keep = [];\nfor (;;) keep.push(Buffer.alloc(8 << 20, 1));\n');
    const config = hookConfig(
      t.dir,
      `[cgroup]\nenable = true\ngroup = "${group}"\n[[mirrors]]\nname = "hog"\nprovider = "command"\nmemory_limit = "64M"\ncommand = "${process.execPath} ${hog}"\n`,
    );
    const { jobs, hooks } = await hookedJobs(config, createSilentLogger());
    try {
      const job = jobs.get('hog')!;
      const statuses = await runOnce(job);
      expect(statuses.at(-1)).toMatchObject({ status: 'failed', final: true, errorMsg: 'killed by SIGKILL' });
      const log = readFileSync(join(job.mirror.logDir, 'latest'), 'utf8');
      expect(log).toMatch(/\[tunasync\] memory_limit 64M reached: the kernel killed \d+ process\(es\) of hog/);
      expect(existsSync(posix.join(base, 'hog'))).toBe(false);
    } finally {
      await hooks.close();
      t.cleanup();
    }
    expect(existsSync(base)).toBe(false);
  });

  it('implicit mode with a child process as the worker: moved into __worker, jobs beside it, all restored on close', async () => {
    const { dir: parent } = testGroup('implicit');
    mkdirSync(parent);
    const child = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      writeFileSync(posix.join(parent, 'cgroup.procs'), String(child.pid));
      const cg = await WorkerCgroups.setup({ group: '', logger: createSilentLogger(), selfCgroupFile: `/proc/${child.pid}/cgroup`, needMemory: true });
      expect(cg.base).toBe(parent);
      expect(readFileSync(posix.join(parent, '__worker', 'cgroup.procs'), 'utf8').trim()).toBe(String(child.pid));
      expect(readFileSync(posix.join(parent, 'cgroup.procs'), 'utf8').trim()).toBe('');
      const jobDir = await cg.createJob('beside', 32 * 1024 * 1024);
      expect(jobDir).toBe(posix.join(parent, 'beside'));
      expect(readFileSync(posix.join(jobDir, limitFile), 'utf8').trim()).toBe(String(32 * 1024 * 1024));
      await cg.close();
      expect(existsSync(jobDir)).toBe(false);
      expect(existsSync(posix.join(parent, '__worker'))).toBe(false);
      expect(readFileSync(posix.join(parent, 'cgroup.procs'), 'utf8').trim()).toBe(String(child.pid));
      expect(ownCgroupPath(readFileSync('/proc/self/cgroup', 'utf8'), r.version)).toBe(r.own);
    } finally {
      child.kill('SIGKILL');
      await new Promise((res) => child.once('exit', res));
      sweep(parent);
    }
    expect(existsSync(parent)).toBe(false);
  });

  it('createWorker refuses to start when the configured group already holds processes', async () => {
    const t = tempDir('tunasync-cgbusy-');
    try {
      const text = `[global]\nname = "w1"\nlog_dir = "${t.dir}/log"\nmirror_dir = "${t.dir}/data"\n[cgroup]\nenable = true\ngroup = "${r.own}"\n`;
      const config = parseWorkerConfig(text, join(t.dir, 'worker.conf')).config;
      const err = await createWorker({ config, logger: createSilentLogger() }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toContain(`cgroup.group: cgroups are enabled but cannot be used: cgroup ${posix.join(r.hier, r.own)} has processes in it (`);
    } finally {
      t.cleanup();
    }
  });
});
