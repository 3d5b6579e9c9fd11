/**
 * An rsync against a real rsync daemon survives a worker restart
 * (issue 20): `keep_syncs_on_restart` on, the worker SIGTERMed while rsync
 * transfers (kept slow by --bwlimit), a new worker adopts the same rsync
 * process, and afterwards the mirror equals the upstream tree and the
 * manager saw one run. Runs the built bin (`npx tsc -b` first).
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { until } from '@tunasync/testkit';
import type { RunRecord } from '@tunasync/worker';
import type { Cleanups } from './harness.js';
import { alive, makeWorld } from './adopt-helpers.js';
import { startRsyncDaemon } from './rsync-daemon.js';
import { makeSampleTree, snapshot } from './trees.js';

let cleanups: Cleanups = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

describe('rsync across a worker restart', () => {
  it('the adopted rsync finishes: the tree equals the upstream, one run_id, success', async () => {
    const w = await makeWorld(cleanups, 'keep_syncs_on_restart = true', () => `[[mirrors]]\nname = "rs"\nprovider = "rsync"\nupstream = "@URL@"\nrsync_options = ["--bwlimit=1000"]\nretry = 1\n`);
    const up = join(w.dir, 'up');
    // About 3 s of transfer at 1000 KB/s.
    makeSampleTree(up, 3 * 1024 * 1024);
    const daemon = await startRsyncDaemon(w.dir, { tree: { path: up } });
    cleanups.push(() => daemon.stop());
    writeFileSync(w.conf, readFileSync(w.conf, 'utf8').replace('@URL@', daemon.url('tree')));

    const first = w.startWorker();
    const syncing = await w.waitReport('rs', (b) => b.status === 'syncing', 'syncing');
    const record = await until(async () => JSON.parse(readFileSync(join(w.stateDir, 'runs', 'rs.json'), 'utf8')) as RunRecord, 'the run record');
    // rsync is held (SIGSTOP) while no worker runs, so it is still running when the next one starts, however slow that is.
    process.kill(-record.pgid, 'SIGSTOP');
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(alive(record.pid)).toBe(true);
    const second = w.startWorker();
    await until(async () => (second.output().includes(`run ${syncing.run_id} of rs`) ? true : undefined), 'the adoption');
    process.kill(-record.pgid, 'SIGCONT');
    const done = await w.waitReport('rs', (b) => b.status === 'success', 'the adopted rsync to succeed');
    expect(done.run_id).toBe(syncing.run_id);
    expect(second.output()).toContain(`run ${syncing.run_id} of rs (pid ${record.pid}): alive`);
    expect(new Set(w.reports('rs').map((b) => b.run_id))).toEqual(new Set([syncing.run_id]));
    expect(w.reports('rs').some((b) => b.status === 'failed')).toBe(false);

    const expected = snapshot(up);
    delete expected.entries['a/unsafe-link']; // --safe-links
    expect(snapshot(join(w.dir, 'data', 'rs'))).toEqual(expected);
    second.child.kill('SIGINT');
    await second.exited;
  }, 60_000);
});
