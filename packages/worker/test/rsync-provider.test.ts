import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chmodSync, closeSync, existsSync, openSync, readFileSync, rmSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ConfigError, buildRsyncArgv, type MirrorConfig } from '@tunasync/core';
import { RsyncProvider, TwoStageRsyncProvider, createProvider } from '@tunasync/worker';
import { mirrorsFrom, runOnce, tempDir } from './helpers.js';
import { startRsyncDaemon, type RsyncDaemon } from './rsync-daemon.js';
import { latestLog, rsyncHumanBytes, rsyncJob, totalFileSizes } from './rsync-helpers.js';
import { findNamed, hardLinkAt, makeSampleTree, put, rsyncTotalBytes, snapshot, symlinkAt, type TreeSnapshot } from './trees.js';

let root: string;
let cleanup: () => void;
let daemon: RsyncDaemon;
const up = (module: string): string => join(root, 'up', module);

beforeAll(async () => {
  const t = tempDir('tunasync-rsync-');
  root = t.dir;
  cleanup = t.cleanup;
  // The "partial" module is served as nobody, who must be able to reach it.
  chmodSync(root, 0o755);
  makeSampleTree(up('tree'));
  // A cascading upstream caught mid-sync: its temporary directory must never be copied.
  put(up('tree'), 'a/b/.~tmp~/half-written.deb', 'partial');
  makeSampleTree(up('pub'), 256 * 1024);
  put(up('partial'), 'ok.txt', 'readable\n', { mode: 0o644 });
  put(up('partial'), 'locked/secret.bin', 'nobody may read this\n', { mode: 0o000 });
  for (const d of ['up', 'up/partial', 'up/partial/locked']) chmodSync(join(root, d), 0o755);
  daemon = await startRsyncDaemon(root, {
    tree: { path: up('tree') },
    pub: { path: up('pub') },
    partial: { path: up('partial'), unprivileged: true },
  });
});

afterAll(async () => {
  await daemon?.stop();
  cleanup?.();
});

/** What a mirror of `dir` must look like: everything but the unsafe symlink and temporary directories. */
function expectedMirror(dir: string, skip: (rel: string) => boolean = () => false): TreeSnapshot {
  const s = snapshot(dir);
  for (const rel of Object.keys(s.entries)) {
    if (rel === 'a/unsafe-link' || rel.split('/').includes('.~tmp~') || skip(rel)) delete s.entries[rel];
  }
  s.hardLinks = s.hardLinks.map((g) => g.filter((r) => !skip(r))).filter((g) => g.length > 1);
  return s;
}

function mirror(toml: string, globalExtra = ''): MirrorConfig {
  return mirrorsFrom(root, `[[mirrors]]\nretry = 1\n${toml}\n`, globalExtra)[0]!;
}

describe('rsync provider against a real rsync daemon', () => {
  it('mirrors a tree exactly, again after upstream adds, changes and deletes; no .~tmp~ remains; size is rsync\'s Total file size', async () => {
    const m = mirror(`name = "tree"\nprovider = "rsync"\nupstream = "${daemon.url('tree')}"`);
    const job = await rsyncJob(m);
    const logDir = join(root, 'log', 'tree');

    const first = await runOnce(job);
    expect(first.map((e) => e.status)).toEqual(['pre-syncing', 'syncing', 'success']);
    const mirrored = snapshot(m.mirrorDir);
    expect(mirrored).toEqual(expectedMirror(up('tree')));
    // The tree really has what the test is about.
    expect(mirrored.entries['big/large.iso']!.size).toBe(16 * 1024 * 1024);
    expect(mirrored.entries['a/readme-link']).toEqual({ type: 'symlink', target: '../README' });
    expect(mirrored.hardLinks).toEqual([['a/b/shared-third.dat', 'd/e/shared-again.dat', 'd/shared.dat']]);
    expect(mirrored.entries['a/unsafe-link']).toBeUndefined();
    expect(findNamed(m.mirrorDir, '.~tmp~')).toEqual([]);
    const sizes1 = totalFileSizes(latestLog(logDir));
    expect(sizes1).toHaveLength(1);
    expect(first[2]!.size).toBe(sizes1[0]);
    const bytes1 = rsyncTotalBytes(up('tree'), (r) => !r.split('/').includes('.~tmp~'));
    expect(Math.abs(rsyncHumanBytes(first[2]!.size!) - bytes1) / bytes1).toBeLessThan(0.005);

    // Upstream moves on: additions, changes (a small file, a block inside the large file, a symlink), deletions.
    const t1 = 1_800_000_000;
    put(up('tree'), 'a/b/c/new.txt', 'new file\n', { mtime: t1 });
    put(up('tree'), 'newdir/x/y.bin', randomBytes(3 * 1024 * 1024), { mtime: t1 });
    put(up('tree'), 'a/f0.txt', 'rewritten, and shorter\n', { mtime: t1 });
    const fd = openSync(join(up('tree'), 'big/large.iso'), 'r+');
    writeSync(fd, randomBytes(1024 * 1024), 0, 1024 * 1024, 5 * 1024 * 1024);
    closeSync(fd);
    utimesSync(join(up('tree'), 'big/large.iso'), t1, t1);
    rmSync(join(up('tree'), 'a/readme-link'));
    symlinkAt(up('tree'), 'a/readme-link', 'b/f1.txt');
    rmSync(join(up('tree'), 'd/f3.txt'));
    rmSync(join(up('tree'), 'd/e'), { recursive: true });
    hardLinkAt(up('tree'), 'README', 'newdir/README-again');
    // Leftovers on our side: a local file, and a temporary directory of an interrupted run.
    put(m.mirrorDir, 'local-only.txt', 'not upstream\n');
    put(m.mirrorDir, 'a/.~tmp~/interrupted.part', 'stale');

    const second = await runOnce(job);
    expect(second.at(-1)).toMatchObject({ status: 'success', final: true });
    const again = snapshot(m.mirrorDir);
    expect(again).toEqual(expectedMirror(up('tree')));
    expect(again.entries['d/f3.txt']).toBeUndefined();
    expect(again.entries['local-only.txt']).toBeUndefined();
    expect(again.entries['a/readme-link']).toEqual({ type: 'symlink', target: 'b/f1.txt' });
    expect(again.hardLinks).toEqual([['README', 'newdir/README-again'], ['a/b/shared-third.dat', 'd/shared.dat']]);
    expect(findNamed(m.mirrorDir, '.~tmp~')).toEqual([]);
    const sizes2 = totalFileSizes(latestLog(logDir));
    expect(second.at(-1)!.size).toBe(sizes2.at(-1));
    const bytes2 = rsyncTotalBytes(up('tree'), (r) => !r.split('/').includes('.~tmp~'));
    expect(bytes2).toBeGreaterThan(bytes1);
    expect(Math.abs(rsyncHumanBytes(second.at(-1)!.size!) - bytes2) / bytes2).toBeLessThan(0.005);
  });

  it('exit 23 fails the run with its meaning in the log; it succeeds when 23 is a success exit code (mirror or dangerous global list)', async () => {
    const failing = mirror(`name = "partial-fail"\nprovider = "rsync"\nupstream = "${daemon.url('partial')}"`);
    const failed = await runOnce(await rsyncJob(failing));
    expect(failed.at(-1)).toMatchObject({ status: 'failed', final: true, errorMsg: 'rsync exited with code 23: partial transfer due to error' });
    const failLogDir = join(root, 'log', 'partial-fail');
    const failLog = latestLog(failLogDir);
    expect(failLog).toMatch(/Permission denied/);
    expect(failLog.trimEnd().split('\n').at(-1)).toBe('rsync exited with code 23: partial transfer due to error');
    expect(readFileSync(join(failing.mirrorDir, 'ok.txt'), 'utf8')).toBe('readable\n');

    const accepted = mirror(`name = "partial-ok"\nprovider = "rsync"\nupstream = "${daemon.url('partial')}"\nrsync_success_exit_codes = [23]`);
    const ok = await runOnce(await rsyncJob(accepted));
    expect(ok.at(-1)).toMatchObject({ status: 'success', final: true, errorMsg: '' });
    expect(ok.at(-1)!.size).toBe(totalFileSizes(latestLog(join(root, 'log', 'partial-ok'))).at(-1));
    // The exit code is still explained in the log.
    expect(latestLog(join(root, 'log', 'partial-ok'))).toContain('rsync exited with code 23: partial transfer due to error\n');

    const global = mirror(`name = "partial-global"\nprovider = "rsync"\nupstream = "${daemon.url('partial')}"`, 'dangerous_global_rsync_success_exit_codes = [23]');
    expect(global.successExitCodes).toEqual([23]);
    expect((await runOnce(await rsyncJob(global))).at(-1)).toMatchObject({ status: 'success' });
  });

  it('passes core\'s argv unchanged to `command` (the rsync binary), with env; -4, exclude_file, global then mirror rsync_options take effect', async () => {
    const wrapper = join(root, 'rsync-wrapper.sh');
    const record = join(root, 'wrapper-argv.txt');
    writeFileSync(wrapper, `#!/bin/sh\nprintf '%s\\n' "FOO=$FOO" "$@" > ${record}\nexec rsync "$@"\n`, { mode: 0o755 });
    const excludeFile = join(root, 'excludes.txt');
    writeFileSync(excludeFile, 'big/\n');
    const m = mirror(
      [
        'name = "opts"', 'provider = "rsync"', `upstream = "${daemon.url('pub')}"`, `command = "${wrapper}"`,
        'use_ipv4 = true', `exclude_file = "${excludeFile}"`, 'rsync_timeout = 45', 'rsync_options = ["--exclude=empty-dir/"]',
        '[mirrors.env]', 'FOO = "from-env"',
      ].join('\n'),
      'rsync_options = ["--exclude=bin/"]',
    );
    const statuses = await runOnce(await rsyncJob(m));
    expect(statuses.at(-1)).toMatchObject({ status: 'success' });
    const argv = buildRsyncArgv(m);
    expect(argv[0]).toBe(wrapper);
    expect(argv.slice(1)).toEqual(expect.arrayContaining(['-4', '--timeout=45', '--exclude-from', excludeFile, '--exclude=bin/', '--exclude=empty-dir/']));
    expect(readFileSync(record, 'utf8')).toBe(`FOO=from-env\n${argv.slice(1).join('\n')}\n`);
    const skipped = (r: string): boolean => ['big', 'bin', 'empty-dir'].includes(r.split('/')[0]!);
    expect(snapshot(m.mirrorDir)).toEqual(expectedMirror(up('pub'), skipped));
    expect(existsSync(join(m.mirrorDir, 'README'))).toBe(true);
  });

  it('fails the run with the meaning of rsync\'s exit code when the daemon has no such module', async () => {
    const m = mirror(`name = "nomodule"\nprovider = "rsync"\nupstream = "rsync://127.0.0.1:${daemon.port}/no-such-module/"`);
    const statuses = await runOnce(await rsyncJob(m));
    expect(statuses.at(-1)).toMatchObject({ status: 'failed', errorMsg: 'rsync exited with code 5: error starting client-server protocol' });
    expect(latestLog(join(root, 'log', 'nomodule'))).toMatch(/Unknown module 'no-such-module'[\s\S]*rsync exited with code 5: error starting client-server protocol\n$/);
  });

  it('refuses, as a ConfigError naming the key, a mirror it cannot sync', async () => {
    const good = mirror(`name = "good"\nprovider = "two-stage-rsync"\nstage1_profile = "debian"\nupstream = "${daemon.url('pub')}"`);
    const attempt = (make: () => unknown): ConfigError => {
      try {
        make();
      } catch (err) {
        return err as ConfigError;
      }
      throw new Error('no error thrown');
    };
    const noSlash = attempt(() => new RsyncProvider({ ...good, provider: 'rsync', upstream: 'rsync://127.0.0.1/pub' }));
    expect(noSlash).toBeInstanceOf(ConfigError);
    expect(noSlash.issues).toEqual([{ file: join(root, 'worker.conf'), path: 'mirrors[0].upstream', message: 'rsync upstream must end with "/" (got "rsync://127.0.0.1/pub")' }]);
    const profile = attempt(() => new TwoStageRsyncProvider({ ...good, stage1Profile: 'ubuntu' }));
    expect(profile.issues.map((i) => [i.path, i.message])).toEqual([['mirrors[0].stage1_profile', 'unknown profile "ubuntu"; known: "debian", "debian-oldstyle"']]);
    // The class decides what is checked, whatever the mirror's provider field says.
    expect(() => new TwoStageRsyncProvider({ ...good, provider: 'rsync', stage1Profile: '' })).toThrow('stage1_profile: is required for two-stage-rsync');
    const overrideOnly = attempt(() => new RsyncProvider({ ...good, provider: 'rsync', rsyncOverrideOnly: true, rsyncOverride: undefined }));
    expect(overrideOnly.issues.map((i) => i.path)).toEqual(['mirrors[0].rsync_override_only']);
    await expect(createProvider({ ...good, upstream: 'rsync://x/y' })).rejects.toThrow(ConfigError);
    expect((await createProvider(good)).kind).toBe('two-stage-rsync');
    expect(new RsyncProvider({ ...good, provider: 'rsync' }).kind).toBe('rsync');
  });
});
