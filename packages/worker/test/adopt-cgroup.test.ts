/**
 * cgroup jobs across a worker restart (issue 20): when the worker exits
 * leaving a sync running, that job's group stays, with its memory limit and
 * its process, and the next worker, set up on the same tree, finds it as it
 * was (the adopted run's post-exec then empties and removes it as for any
 * try). Against FakeCgroupFs, a directory with cgroupfs's rules.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSilentLogger, parseSize } from '@tunasync/core';
import { memoryLimitFile, WorkerCgroups } from '@tunasync/worker';
import { tempDir } from './helpers.js';
import { FakeCgroupFs } from './fake-cgroupfs.js';

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.reverse()) c();
  cleanups = [];
});

describe.each([1, 2] as const)('cgroup v%i: a job group kept on close', (version) => {
  it('stays with its limit and process; the next worker finds it, and removing the job empties it', async () => {
    const t = tempDir('tunasync-adopt-cg-');
    cleanups.push(t.cleanup);
    const fs = FakeCgroupFs.create(join(t.dir, 'cgroup'), { version, own: '/system.slice/tunasync.service', pids: [] });
    const opts = { group: '', logger: createSilentLogger(), root: fs.root, selfCgroupFile: join(fs.root, 'self.cgroup'), fs, needMemory: true };
    const first = await WorkerCgroups.setup(opts);
    const dir = await first.createJob('pypi', parseSize('64M'));
    await first.createJob('other', undefined);
    const sync = spawn('sleep', ['30'], { stdio: 'ignore' });
    cleanups.push(() => void sync.kill('SIGKILL'));
    await fs.write(join(dir, 'cgroup.procs'), String(sync.pid));

    await first.close(new Set(['pypi']));
    expect(existsSync(join(first.base, 'other'))).toBe(false);
    expect(readFileSync(join(dir, memoryLimitFile(version)), 'utf8')).toBe(String(64 * 1024 * 1024));
    expect(await first.jobPids('pypi')).toEqual([sync.pid]);

    const next = await WorkerCgroups.setup(opts);
    expect(next.jobDir('pypi')).toBe(dir);
    expect(await next.jobPids('pypi')).toEqual([sync.pid]);
    expect(readFileSync(join(dir, memoryLimitFile(version)), 'utf8')).toBe(String(64 * 1024 * 1024));
    await next.removeJob('pypi');
    expect(existsSync(dir)).toBe(false);
    await new Promise((r) => (sync.exitCode !== null || sync.signalCode !== null ? r(null) : sync.once('exit', r)));
    await next.close();
  });
});
