/**
 * The zfs and btrfs snapshot hooks, with stub `mountpoint` and `btrfs`
 * executables first on PATH (no zfs or btrfs here) that record their argv.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, createSilentLogger } from '@tunasync/core';
import { checkWorkerConfig, createWorker, prepareHooks, zfsFixCommands } from '@tunasync/worker';
import { runOnce, tempDir } from './helpers.js';
import { hookConfig, hookedJobs, installStubs, stubCalls } from './hook-helpers.js';

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.reverse()) c();
  cleanups = [];
});

function setup(stubs: ('mountpoint' | 'btrfs')[]): { dir: string; bin: string; path: string } {
  const t = tempDir('tunasync-snap-');
  cleanups.push(t.cleanup);
  return { dir: t.dir, ...installStubs(t.dir, stubs) };
}

/** A command mirror that writes `value` into `<dir>/state.txt`, with the stubs on its PATH. */
const commandMirror = (name: string, path: string, script: string, extra = ''): string =>
  `[[mirrors]]\nname = "${name}"\nprovider = "command"\ncommand = "sh -c '${script}'"\nenv = { PATH = "${path}" }\n${extra}`;

describe('zfs hook', () => {
  it('fails a job whose directory does not exist, printing the zfs commands that fix it', async () => {
    const { dir, bin, path } = setup(['mountpoint']);
    const config = hookConfig(dir, `[zfs]\nenable = true\nzpool = "tank"\n${commandMirror('Debian', path, 'touch synced')}`);
    const { jobs } = await hookedJobs(config, createSilentLogger());
    const statuses = await runOnce(jobs.get('Debian')!);
    const target = join(dir, 'data', 'Debian');
    const fix = process.getuid!() === 0 ? '' : ` && chown ${process.getuid!()} '${target}'`;
    expect(statuses.at(-1)).toEqual(
      expect.objectContaining({
        status: 'failed',
        final: true,
        errorMsg: `error exec hook pre-job: directory ${target} does not exist; create the ZFS dataset with: zfs create 'tank/debian' && zfs set mountpoint='${target}' 'tank/debian'${fix}`,
      }),
    );
    expect(stubCalls(bin, 'mountpoint')).toEqual([]);
  });

  it('fails a job whose directory is not a mount point, and runs one that is', async () => {
    const { dir, bin, path } = setup(['mountpoint']);
    const config = hookConfig(dir, `[zfs]\nenable = true\nzpool = "tank"\n${commandMirror('pypi', path, 'touch synced')}`);
    const { jobs } = await hookedJobs(config, createSilentLogger());
    const job = jobs.get('pypi')!;
    const target = job.mirror.mirrorDir;
    mkdirSync(target, { recursive: true });
    const failed = await runOnce(job);
    expect(failed.at(-1)!.errorMsg).toBe(
      `error exec hook pre-job: ${target} is not a mount point; create the ZFS dataset with: ${zfsFixCommands('tank', 'pypi', target).join(' && ')}`,
    );
    expect(failed.map((s) => s.status)).toEqual(['pre-syncing', 'failed']);
    writeFileSync(join(bin, 'mounts'), `${target}\n`);
    const ok = await runOnce(job);
    expect(ok.at(-1)).toMatchObject({ status: 'success' });
    expect(stubCalls(bin, 'mountpoint')).toEqual([
      ['-q', target],
      ['-q', target],
    ]);
  });

  it('names the dataset after the zpool and the lower-cased mirror name', () => {
    expect(zfsFixCommands('tank/mirrors', 'Ubuntu-Releases', '/srv/ubuntu', 0)).toEqual([
      "zfs create 'tank/mirrors/ubuntu-releases'",
      "zfs set mountpoint='/srv/ubuntu' 'tank/mirrors/ubuntu-releases'",
    ]);
    expect(zfsFixCommands('tank', 'a', '/srv/a', 1000)).toContain("chown 1000 '/srv/a'");
  });
});

describe('btrfs snapshot hook', () => {
  it('makes the job directory a subvolume before the first run and replaces the snapshot after each success', async () => {
    const { dir, bin, path } = setup(['btrfs']);
    const snaps = join(dir, 'snapshots');
    const config = hookConfig(
      dir,
      `[btrfs_snapshot]\nenable = true\nsnapshot_path = "${snaps}"\n${commandMirror('arch', path, 'echo $(( $(cat state.txt 2>/dev/null || echo 0) + 1 )) > state.txt')}`,
    );
    const { jobs } = await hookedJobs(config, createSilentLogger());
    const job = jobs.get('arch')!;
    const target = job.mirror.mirrorDir;
    const snap = join(snaps, 'arch');
    expect((await runOnce(job)).at(-1)).toMatchObject({ status: 'success' });
    expect(readFileSync(join(snap, 'state.txt'), 'utf8')).toBe('1\n');
    expect(stubCalls(bin, 'btrfs')).toEqual([
      ['subvolume', 'create', target],
      ['subvolume', 'snapshot', target, snap],
    ]);
    expect((await runOnce(job)).at(-1)).toMatchObject({ status: 'success' });
    expect(readFileSync(join(snap, 'state.txt'), 'utf8')).toBe('2\n');
    expect(stubCalls(bin, 'btrfs').slice(2)).toEqual([
      ['subvolume', 'show', target],
      ['subvolume', 'show', snap],
      ['subvolume', 'delete', snap],
      ['subvolume', 'snapshot', target, snap],
    ]);
  });

  it('keeps the previous snapshot when a run fails, and uses the mirror own snapshot_path', async () => {
    const { dir, bin, path } = setup(['btrfs']);
    const own = join(dir, 'published', 'centos-current');
    const config = hookConfig(
      dir,
      `[btrfs_snapshot]\nenable = true\n${commandMirror('centos', path, 'test -f fail && exit 3; echo ok > state.txt', `snapshot_path = "${own}"\n`)}`,
    );
    const { jobs } = await hookedJobs(config, createSilentLogger());
    const job = jobs.get('centos')!;
    const target = job.mirror.mirrorDir;
    expect((await runOnce(job)).at(-1)).toMatchObject({ status: 'success' });
    writeFileSync(join(target, 'fail'), '');
    expect((await runOnce(job)).at(-1)).toMatchObject({ status: 'failed', errorMsg: 'exit status 3' });
    expect(readFileSync(join(own, 'state.txt'), 'utf8')).toBe('ok\n');
    expect(stubCalls(bin, 'btrfs')).toEqual([
      ['subvolume', 'create', target],
      ['subvolume', 'snapshot', target, own],
      ['subvolume', 'show', target],
    ]);
  });

  it('fails when the job directory is a plain directory or the snapshot path is not a snapshot', async () => {
    const { dir, bin, path } = setup(['btrfs']);
    const snaps = join(dir, 'snapshots');
    const config = hookConfig(
      dir,
      `[btrfs_snapshot]\nenable = true\nsnapshot_path = "${snaps}"\n${commandMirror('plain', path, 'true')}${commandMirror('clash', path, 'true')}`,
    );
    const { jobs } = await hookedJobs(config, createSilentLogger());
    const plain = jobs.get('plain')!;
    mkdirSync(plain.mirror.mirrorDir, { recursive: true });
    expect((await runOnce(plain)).at(-1)).toMatchObject({
      status: 'failed',
      errorMsg: `error exec hook pre-job: path ${plain.mirror.mirrorDir} exists but is not a Btrfs subvolume`,
    });
    mkdirSync(join(snaps, 'clash'), { recursive: true });
    const clash = jobs.get('clash')!;
    expect((await runOnce(clash)).at(-1)).toMatchObject({
      status: 'failed',
      errorMsg: `error exec hook post-success: path ${join(snaps, 'clash')} exists and is not a Btrfs snapshot`,
    });
    expect(stubCalls(bin, 'btrfs')).toEqual([
      ['subvolume', 'show', plain.mirror.mirrorDir],
      ['subvolume', 'create', clash.mirror.mirrorDir],
      ['subvolume', 'show', join(snaps, 'clash')],
    ]);
  });

  it('refuses to start when snapshots are enabled and a mirror has nowhere to put its snapshot', async () => {
    const { dir, path } = setup(['btrfs']);
    const config = hookConfig(dir, `[btrfs_snapshot]\nenable = true\n${commandMirror('a', path, 'true', 'snapshot_path = "/srv/snap/a"\n')}${commandMirror('b', path, 'true')}`);
    // The one check start, reload and --dry-run run refuses it (prepareHooks only sets up).
    const err = await checkWorkerConfig(config).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toBe(`${join(dir, 'worker.conf')}: mirrors[1].snapshot_path: is needed: [btrfs_snapshot] is enabled and has no snapshot_path`);
    const start = await createWorker({ config, logger: createSilentLogger() }).catch((e: unknown) => e);
    expect((start as ConfigError).message).toBe((err as ConfigError).message);
  });
});

describe('hook order', () => {
  it('is log rotation, zfs, btrfs, docker or cgroup, exec hooks', async () => {
    const t = tempDir('tunasync-order-');
    cleanups.push(t.cleanup);
    const config = hookConfig(
      t.dir,
      `[zfs]\nenable = true\n[btrfs_snapshot]\nenable = true\nsnapshot_path = "/snap"\n[docker]\nenable = true\n` +
        `[[mirrors]]\nname = "d"\nprovider = "command"\ncommand = "true"\ndocker_image = "x"\n[[mirrors]]\nname = "l"\nprovider = "command"\ncommand = "true"\n`,
    );
    const set = await prepareHooks(config, createSilentLogger());
    const [d, l] = config.mirrors;
    expect(set.hooksFor(d!).map((h) => h.name)).toEqual(['logrotate', 'zfs', 'btrfs-snapshot', 'docker', 'exec-on-success', 'exec-on-failure']);
    expect(set.hooksFor(l!).map((h) => h.name)).toEqual(['logrotate', 'zfs', 'btrfs-snapshot', 'exec-on-success', 'exec-on-failure']);
    await set.close();
  });
});
