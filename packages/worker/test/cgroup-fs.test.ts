/**
 * The cgroup logic for both versions against a temporary directory laid out
 * like cgroupfs (FakeCgroupFs emulates the kernel's rules): version
 * detection, the worker's own group, manual and implicit layouts, limits,
 * emptying and removing job groups, restoring everything on close, and the
 * reasons the worker refuses to start.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, createSilentLogger, parseSize } from '@tunasync/core';
import {
  checkWorkerConfig,
  type CgroupFs,
  WorkerCgroups,
  detectCgroupVersion,
  kernelCgroupFs,
  memoryLimitFile,
  memoryLimitValue,
  ownCgroupPath,
  parseOomKills,
  prepareHooks,
  type CgroupVersion,
} from '@tunasync/worker';
import { pidAlive, runOnce, tempDir } from './helpers.js';
import { FakeCgroupFs } from './fake-cgroupfs.js';
import { hookConfig, hookedJobs } from './hook-helpers.js';

let cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

/** A `sleep` child standing for a process of the worker's group. */
function sleeper(): number {
  const child: ChildProcess = spawn('sleep', ['60'], { stdio: 'ignore' });
  cleanups.push(() => {
    child.kill('SIGKILL');
  });
  return child.pid!;
}

function fakeTree(version: CgroupVersion, own: string, pids: number[], controllers?: string): { dir: string; fs: FakeCgroupFs } {
  const t = tempDir('tunasync-cgfs-');
  cleanups.push(t.cleanup);
  return { dir: t.dir, fs: FakeCgroupFs.create(join(t.dir, 'cgroup'), { version, own, pids, ...(controllers !== undefined ? { controllers } : {}) }) };
}

const setupOpts = (fs: FakeCgroupFs, group = '', needMemory = true) => ({
  group,
  logger: createSilentLogger(),
  root: fs.root,
  selfCgroupFile: join(fs.root, 'self.cgroup'),
  fs,
  needMemory,
});

describe('cgroup paths and limits', () => {
  it("finds the worker's group in /proc/self/cgroup for each version", () => {
    const hybrid = '12:pids:/user.slice\n4:memory,hugetlb:/process_api/abc\n1:name=systemd:/x\n0::/x\n';
    expect(ownCgroupPath(hybrid, 1)).toBe('/process_api/abc');
    expect(ownCgroupPath(hybrid, 2)).toBe('/x');
    expect(ownCgroupPath('0::/system.slice/tunasync-worker.service\n', 2)).toBe('/system.slice/tunasync-worker.service');
    expect(ownCgroupPath('0::/system.slice/a.service\n', 1)).toBeUndefined();
  });

  it('writes limits as the kernel takes them: bytes, or max / -1 for none', () => {
    expect(memoryLimitFile(2)).toBe('memory.max');
    expect(memoryLimitFile(1)).toBe('memory.limit_in_bytes');
    expect(memoryLimitValue(2, parseSize('256M'))).toBe('268435456');
    expect(memoryLimitValue(1, parseSize('1.5G'))).toBe('1610612736');
    expect(memoryLimitValue(2, undefined)).toBe('max');
    expect(memoryLimitValue(1, 0)).toBe('-1');
    expect(parseOomKills('low 0\nhigh 0\nmax 12\noom 2\noom_kill 2\n')).toBe(2);
    expect(parseOomKills('oom_kill_disable 0\nunder_oom 0\n')).toBe(0);
  });

  it('detects v2 by cgroup.controllers and v1 by a memory hierarchy', async () => {
    expect(await detectCgroupVersion(fakeTree(2, '/a', []).fs, fakeTree(2, '/a', []).fs.root)).toBe(2);
    const v1 = fakeTree(1, '/a', []).fs;
    expect(await detectCgroupVersion(v1, v1.root)).toBe(1);
    const empty = tempDir('tunasync-nocg-');
    cleanups.push(empty.cleanup);
    expect(await detectCgroupVersion(kernelCgroupFs, empty.dir)).toBeUndefined();
  });
});

describe.each([1, 2] as const)('cgroup v%i', (version) => {
  const limitFile = memoryLimitFile(version);

  it('manual mode: creates the group, a sub-group per job with its limit, and removes all of it on close', async () => {
    const { fs } = fakeTree(version, '/user.slice', [process.pid]);
    const cg = await WorkerCgroups.setup(setupOpts(fs, 'tunasync/jobs'));
    const base = join(fs.hierarchy, 'tunasync', 'jobs');
    expect(cg.base).toBe(base);
    expect(cg.version).toBe(version);
    expect(cg.implicit).toBe(false);
    const dir = await cg.createJob('debian', parseSize('256M'));
    expect(dir).toBe(join(base, 'debian'));
    expect(readFileSync(join(dir, limitFile), 'utf8')).toBe('268435456');
    // A reused group with no limit any more is set back to unlimited.
    await cg.removeJob('debian');
    expect(existsSync(dir)).toBe(false);
    await cg.createJob('debian', undefined);
    expect(readFileSync(join(dir, limitFile), 'utf8')).toBe(memoryLimitValue(version, undefined));
    await cg.close();
    expect(existsSync(join(fs.hierarchy, 'tunasync'))).toBe(false);
    expect(await fs.pids(join(fs.hierarchy, 'user.slice'))).toEqual([process.pid]);
    if (version === 2) expect(fs.writes).toContain('tunasync/jobs/cgroup.subtree_control=+memory');
  });

  it('implicit mode: moves the worker group into __worker, puts jobs beside it, and moves everything back on close', async () => {
    const a = sleeper();
    const b = sleeper();
    const { fs } = fakeTree(version, '/system.slice/tunasync.service', [a, b]);
    const own = join(fs.hierarchy, 'system.slice', 'tunasync.service');
    const cg = await WorkerCgroups.setup(setupOpts(fs));
    expect(cg.implicit).toBe(true);
    expect(cg.base).toBe(own);
    expect(await fs.pids(own)).toEqual([]);
    expect((await fs.pids(join(own, '__worker'))).sort()).toEqual([a, b].sort());
    const dir = await cg.createJob('pypi', parseSize('64M'));
    expect(dir).toBe(join(own, 'pypi'));
    expect(readFileSync(join(dir, limitFile), 'utf8')).toBe(String(64 * 1024 * 1024));
    if (version === 2) expect(readFileSync(join(own, 'cgroup.subtree_control'), 'utf8')).toBe('memory');
    await cg.close();
    expect(existsSync(join(own, '__worker'))).toBe(false);
    expect(existsSync(dir)).toBe(false);
    expect((await fs.pids(own)).sort()).toEqual([a, b].sort());
    if (version === 2) expect(readFileSync(join(own, 'cgroup.subtree_control'), 'utf8')).toBe('');
  });

  it('empties a job group by killing every process in it, then removes it', async () => {
    const { fs } = fakeTree(version, '/svc', []);
    const cg = await WorkerCgroups.setup(setupOpts(fs, 'tunasync'));
    const dir = await cg.createJob('gentoo', undefined);
    const stray = sleeper();
    await fs.write(join(dir, 'cgroup.procs'), String(stray));
    expect(await cg.jobPids('gentoo')).toEqual([stray]);
    await cg.removeJob('gentoo');
    expect(pidAlive(stray)).toBe(false);
    expect(existsSync(dir)).toBe(false);
    await cg.close();
  });

  it('runs each command of a job inside its group, through the exec helper, and cleans up after the run', async () => {
    const { dir, fs } = fakeTree(version, '/svc', []);
    const config = hookConfig(
      dir,
      `[cgroup]\nenable = true\ngroup = "tunasync"\n[[mirrors]]\nname = "job"\nprovider = "command"\nmemory_limit = "128M"\n` +
        `command = "sh -c 'echo pid=$$ procs=$(cat ${join(fs.hierarchy, 'tunasync', 'job', 'cgroup.procs')}) limit=$(cat ${join(fs.hierarchy, 'tunasync', 'job', limitFile)})'"\n`,
    );
    const { jobs, hooks } = await hookedJobs(config, createSilentLogger(), { cgroupRoot: fs.root, cgroupFs: fs });
    cleanups.push(() => hooks.close());
    const job = jobs.get('job')!;
    expect((await runOnce(job)).at(-1)).toMatchObject({ status: 'success' });
    const log = readFileSync(join(job.mirror.logDir, 'latest'), 'utf8');
    const m = /pid=(\d+) procs=(\d+) limit=(\d+)/.exec(log);
    expect(m).not.toBeNull();
    expect(m![2]).toBe(m![1]);
    expect(m![3]).toBe(String(128 * 1024 * 1024));
    expect(existsSync(join(fs.hierarchy, 'tunasync', 'job'))).toBe(false);
    await hooks.close();
    expect(existsSync(join(fs.hierarchy, 'tunasync'))).toBe(false);
  });
});

describe('refusing to start', () => {
  /**
   * Why start refuses the config (checkWorkerConfig, then prepareHooks, as
   * createWorker does); `checked` says whether the side-effect-free check
   * (the one --dry-run runs) already refused it with the same message.
   */
  const refusalOf = async (fs: FakeCgroupFs, group: string, mirrors = '', root = fs.root): Promise<{ message: string; checked: boolean }> => {
    const t = tempDir('tunasync-cgconf-');
    cleanups.push(t.cleanup);
    const config = hookConfig(t.dir, `[cgroup]\nenable = true\n${group ? `group = "${group}"\n` : ''}${mirrors}`);
    const where = { cgroupRoot: root, selfCgroupFile: join(fs.root, 'self.cgroup'), cgroupFs: fs };
    const strip = (e: unknown): string => {
      expect(e).toBeInstanceOf(ConfigError);
      return (e as ConfigError).message.replace(`${join(t.dir, 'worker.conf')}: `, '');
    };
    // The check only reads: record any change it would make.
    const changes: string[] = [];
    const readOnly: CgroupFs = {
      exists: (p) => fs.exists(p),
      read: (p) => fs.read(p),
      mkdir: async (p) => void changes.push(`mkdir ${p}`),
      rmdir: async (p) => void changes.push(`rmdir ${p}`),
      write: async (p) => void changes.push(`write ${p}`),
    };
    const checked = await checkWorkerConfig(config, { ...where, cgroupFs: readOnly }).then(
      () => undefined,
      (e: unknown) => strip(e),
    );
    expect(changes).toEqual([]);
    if (checked !== undefined) return { message: checked, checked: true };
    const err = await prepareHooks(config, createSilentLogger(), where).catch((e: unknown) => e);
    return { message: strip(err), checked: false };
  };
  /** The refusal of a config that checkWorkerConfig (and so --dry-run) refuses too. */
  const refusal = async (...args: Parameters<typeof refusalOf>): Promise<string> => {
    const r = await refusalOf(...args);
    expect(r.checked).toBe(true);
    return r.message;
  };
  /** The refusal of a config only the set-up at start can find out about (creating a group). */
  const setupRefusal = async (...args: Parameters<typeof refusalOf>): Promise<string> => {
    const r = await refusalOf(...args);
    expect(r.checked).toBe(false);
    return r.message;
  };

  it('when the cgroup filesystem is not writable', async () => {
    const { fs } = fakeTree(1, '/svc', []);
    fs.denyMkdir = 'EACCES';
    expect(await setupRefusal(fs, '')).toBe(`cgroup.enable: cgroups are enabled but cannot be used: cannot create cgroups in ${join(fs.hierarchy, 'svc')}: EACCES: ${join(fs.hierarchy, 'svc', '.tunasync-probe')}`);
    expect(await setupRefusal(fs, 'tunasync')).toBe(`cgroup.group: cgroups are enabled but cannot be used: cannot create cgroup ${join(fs.hierarchy, 'tunasync')}: EACCES: ${join(fs.hierarchy, 'tunasync')}`);
  });

  it('when there is no cgroup filesystem, or the worker sits in the root group', async () => {
    const t = tempDir('tunasync-none-');
    cleanups.push(t.cleanup);
    const none = FakeCgroupFs.create(join(t.dir, 'x'), { version: 2, own: '/', pids: [] });
    expect(await refusal(none, '', '', join(t.dir, 'nothing'))).toMatch(/cgroups are enabled but cannot be used: no cgroup filesystem at .*nothing \(neither a v2 tree/);
    expect(await refusal(none, '')).toMatch(/the worker runs in the root cgroup; set \[cgroup\] group, or run the worker in a delegated group of its own \(systemd Delegate=yes\)$/);
  });

  it('when the configured group already holds processes', async () => {
    const { fs } = fakeTree(2, '/busy', [process.pid]);
    expect(await refusal(fs, '/busy')).toBe(
      `cgroup.group: cgroups are enabled but cannot be used: cgroup ${join(fs.hierarchy, 'busy')} has processes in it (${process.pid}); give the worker an empty group of its own`,
    );
  });

  it('on v2 when a mirror needs a memory limit and the machine has no memory controller', async () => {
    const { fs } = fakeTree(2, '/svc', [sleeper()], 'cpu pids');
    const own = join(fs.hierarchy, 'svc');
    const msg = await refusal(fs, '', '[[mirrors]]\nname = "m"\nprovider = "command"\ncommand = "true"\nmemory_limit = "1G"\n');
    expect(msg).toBe(`cgroup.enable: cgroups are enabled but cannot be used: the memory controller is not available in ${fs.hierarchy} (cgroup.controllers: "cpu pids"); delegate it to the worker's group`);
    // The check refused it before any set-up: the worker's processes stayed where they were.
    expect(existsSync(join(own, '__worker'))).toBe(false);
    expect(await fs.pids(own)).toHaveLength(1);
  });

  it('when a mirror is called __worker in implicit mode', async () => {
    const { fs } = fakeTree(1, '/svc', []);
    expect(await refusal(fs, '', '[[mirrors]]\nname = "__worker"\nprovider = "command"\ncommand = "true"\n')).toBe(
      "mirrors[0].name: __worker is the worker's own cgroup; rename the mirror",
    );
  });
});
