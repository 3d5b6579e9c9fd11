import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chmodSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { buildTwoStageArgv, type CommandSpec, type Hook, type MirrorConfig, type RunContext } from '@tunasync/core';
import { mirrorsFrom, runOnce, tempDir } from './helpers.js';
import { startRsyncDaemon, type RsyncDaemon } from './rsync-daemon.js';
import { latestLog, rsyncJob, totalFileSizes } from './rsync-helpers.js';
import { put, snapshot, type TreeSnapshot } from './trees.js';

let root: string;
let cleanup: () => void;
let daemon: RsyncDaemon;
const up = (module: string): string => join(root, 'up', module);

/** Index files: what stage 1 must not fetch (with either profile, unless noted). */
const INDEXES = [
  'dists/bookworm/Release',
  'dists/bookworm/Release.gpg',
  'dists/bookworm/InRelease',
  'dists/bookworm/main/binary-amd64/Packages',
  'dists/bookworm/main/binary-amd64/Packages.xz',
  'dists/bookworm/main/binary-amd64/Release',
  'dists/bookworm/main/source/Sources.gz',
  'dists/bookworm/main/i18n/Translation-en.bz2',
  'dists/bookworm/main/dep11/Components-amd64.yml.gz',
  'ls-lR.gz',
];
/** Fetched by stage 1 with `debian-oldstyle`, not with `debian`. */
const CONTENTS = 'dists/bookworm/main/Contents-amd64.gz';
const POOL = [
  'pool/main/h/hello/hello_2.10-3_amd64.deb',
  'pool/main/h/hello/hello_2.10-3.dsc',
  'pool/main/h/hello/hello_2.10.orig.tar.gz',
  'pool/main/b/bar/bar_1.0_all.deb',
];
/** Content-addressed copies of indexes, safe to fetch early. */
const BY_HASH = 'dists/bookworm/main/binary-amd64/by-hash/SHA256/0f3c5d1e9a';

/** A debian-like archive: pool, indexes (sizeable, so stage 1's size differs), by-hash, a trace file. */
function makeArchive(dir: string, generation: string): void {
  for (const f of POOL) put(dir, f, randomBytes(96 * 1024));
  for (const f of INDEXES) put(dir, f, `${generation} ${f}\n${'i'.repeat(64 * 1024)}`);
  put(dir, CONTENTS, `${generation} contents\n`);
  put(dir, BY_HASH, `${generation} packages by hash\n`);
  put(dir, 'project/trace/master', `${generation}\n`);
}

/** A hook that, right before stage 2 starts (its command has --delete), snapshots the mirror directory. */
class BetweenStages implements Hook {
  readonly name = 'between-stages';
  readonly argvs: string[][] = [];
  readonly snapshots: TreeSnapshot[] = [];

  wrapCommand(spec: CommandSpec, ctx: RunContext): CommandSpec {
    this.argvs.push(spec.argv);
    if (spec.argv.includes('--delete')) this.snapshots.push(snapshot(ctx.workingDir));
    return spec;
  }
}

beforeAll(async () => {
  const t = tempDir('tunasync-2stage-');
  root = t.dir;
  cleanup = t.cleanup;
  chmodSync(root, 0o755);
  makeArchive(up('debian'), 'gen1');
  makeArchive(up('oldstyle'), 'gen1');
  makeArchive(up('bad-pool'), 'gen1');
  chmodSync(join(up('bad-pool'), POOL[0]!), 0o000);
  makeArchive(up('bad-index'), 'gen1');
  chmodSync(join(up('bad-index'), INDEXES[3]!), 0o000);
  for (const d of ['up', 'up/bad-pool', 'up/bad-index']) chmodSync(join(root, d), 0o755);
  daemon = await startRsyncDaemon(root, {
    debian: { path: up('debian') },
    oldstyle: { path: up('oldstyle') },
    'bad-pool': { path: up('bad-pool'), unprivileged: true },
    'bad-index': { path: up('bad-index'), unprivileged: true },
  });
});

afterAll(async () => {
  await daemon?.stop();
  cleanup?.();
});

function mirror(name: string, module: string, profile: string): MirrorConfig {
  return mirrorsFrom(root, `[[mirrors]]\nname = "${name}"\nprovider = "two-stage-rsync"\nstage1_profile = "${profile}"\nupstream = "${daemon.url(module)}"\nretry = 1\n`)[0]!;
}

describe('two-stage-rsync against a real rsync daemon', () => {
  it('debian profile: between the stages the pool is there and the indexes are not (or still old); afterwards everything matches', async () => {
    const m = mirror('debian', 'debian', 'debian');
    const between = new BetweenStages();
    const job = await rsyncJob(m, { extraHooks: [between] });

    const first = await runOnce(job);
    expect(first.map((e) => e.status)).toEqual(['pre-syncing', 'syncing', 'success']);
    expect(between.argvs).toEqual([buildTwoStageArgv(m, 1), buildTwoStageArgv(m, 2)]);
    const mid = between.snapshots[0]!;
    const upstream1 = snapshot(up('debian'));
    for (const f of [...POOL, BY_HASH, 'project/trace/master']) expect(mid.entries[f]).toEqual(upstream1.entries[f]);
    for (const f of [...INDEXES, CONTENTS]) expect([f, mid.entries[f]]).toEqual([f, undefined]);
    expect(snapshot(m.mirrorDir)).toEqual(upstream1);
    // Both stages wrote to the run's log; the size is stage 2's (stage 1 lacked the indexes).
    const sizes = totalFileSizes(latestLog(join(root, 'log', 'debian')));
    expect(sizes).toHaveLength(2);
    expect(sizes[0]).not.toBe(sizes[1]);
    expect(first.at(-1)!.size).toBe(sizes[1]);

    // The archive moves on: a new package, a removed one, new indexes naming them.
    const removed = POOL[3]!;
    rmSync(join(up('debian'), removed));
    const added = 'pool/main/n/newpkg/newpkg_1.0_amd64.deb';
    put(up('debian'), added, randomBytes(50_000));
    for (const f of INDEXES) put(up('debian'), f, `gen2 ${f}\n${'j'.repeat(70 * 1024)}`, { mtime: 1_900_000_000 });
    const second = await runOnce(job);
    expect(second.at(-1)).toMatchObject({ status: 'success' });
    const mid2 = between.snapshots[1]!;
    const upstream2 = snapshot(up('debian'));
    expect(mid2.entries[added]).toEqual(upstream2.entries[added]);
    // Stage 1 deletes nothing and leaves the old indexes, which still name the removed package.
    expect(mid2.entries[removed]).toEqual(upstream1.entries[removed]);
    for (const f of INDEXES) expect([f, mid2.entries[f]]).toEqual([f, upstream1.entries[f]]);
    expect(snapshot(m.mirrorDir)).toEqual(upstream2);
  });

  it('debian-oldstyle profile: stage 1 holds back Packages, Release, i18n, dep11, ls-lR but fetches Contents', async () => {
    const m = mirror('oldstyle', 'oldstyle', 'debian-oldstyle');
    const between = new BetweenStages();
    expect((await runOnce(await rsyncJob(m, { extraHooks: [between] }))).at(-1)).toMatchObject({ status: 'success' });
    const mid = between.snapshots[0]!;
    const upstream = snapshot(up('oldstyle'));
    for (const f of [...POOL, CONTENTS]) expect(mid.entries[f]).toEqual(upstream.entries[f]);
    for (const f of INDEXES) expect([f, mid.entries[f]]).toEqual([f, undefined]);
    expect(snapshot(m.mirrorDir)).toEqual(upstream);
  });

  it('a failing stage 1 fails the run and stage 2 never runs', async () => {
    const m = mirror('bad-pool', 'bad-pool', 'debian');
    const between = new BetweenStages();
    const statuses = await runOnce(await rsyncJob(m, { extraHooks: [between] }));
    expect(statuses.at(-1)).toMatchObject({ status: 'failed', final: true, errorMsg: 'rsync exited with code 23: partial transfer due to error' });
    expect(between.argvs).toEqual([buildTwoStageArgv(m, 1)]);
    const log = latestLog(join(root, 'log', 'bad-pool'));
    expect(totalFileSizes(log)).toHaveLength(1);
    expect(log).toContain('rsync exited with code 23: partial transfer due to error\n');
    const got = snapshot(m.mirrorDir);
    for (const f of INDEXES) expect([f, got.entries[f]]).toEqual([f, undefined]);
  });

  it('a failing stage 2 fails the run, with both stages in its log', async () => {
    const m = mirror('bad-index', 'bad-index', 'debian');
    const between = new BetweenStages();
    const statuses = await runOnce(await rsyncJob(m, { extraHooks: [between] }));
    expect(statuses.at(-1)).toMatchObject({ status: 'failed', final: true, errorMsg: 'rsync exited with code 23: partial transfer due to error' });
    expect(between.argvs).toHaveLength(2);
    const log = latestLog(join(root, 'log', 'bad-index'));
    expect(totalFileSizes(log)).toHaveLength(2);
    expect(log.trimEnd().split('\n').at(-1)).toBe('rsync exited with code 23: partial transfer due to error');
  });
});
