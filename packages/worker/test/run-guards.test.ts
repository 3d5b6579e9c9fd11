/**
 * Run guards (issue 18): `min_free_space` against the real filesystem,
 * `check_upstream` with `upstream_fallback` against a real rsync daemon and
 * a closed port, skipped runs (no failure, the next run scheduled), and the
 * keys' bad values refusing the config naming the key.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, formatConfigIssue, parseWorkerConfig, type MirrorConfig } from '@tunasync/core';
import { startTestManager } from '@tunasync/testkit';
import { freeSpaceProblem, probeUpstream, type RunEndEvent } from '@tunasync/worker';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { makeWorker, type Cleanups } from './harness.js';
import { commandJob, freePort, mirrorsFrom, runOnce, tempDir } from './helpers.js';
import { startRsyncDaemon, type RsyncDaemon } from './rsync-daemon.js';
import { rsyncJob } from './rsync-helpers.js';
import { makeSampleTree, snapshot } from './trees.js';

let root: string;
let cleanup: () => void;
let daemon: RsyncDaemon;
let deadUrl: string;

beforeAll(async () => {
  const t = tempDir('tunasync-guards-');
  root = t.dir;
  cleanup = t.cleanup;
  makeSampleTree(join(root, 'up', 'live'), 64 * 1024);
  daemon = await startRsyncDaemon(root, { live: { path: join(root, 'up', 'live') } });
  // Nothing listens there: the connection is refused at once.
  deadUrl = `rsync://127.0.0.1:${await freePort()}/live/`;
});

afterAll(async () => {
  await daemon?.stop();
  cleanup?.();
});

/** The upstream's entries rsync copies: all but the symlink pointing outside the tree (`--safe-links`). */
function safeEntries(dir: string): Record<string, unknown> {
  const entries = { ...snapshot(dir).entries };
  delete entries['a/unsafe-link'];
  return entries;
}

function mirror(toml: string, globalExtra = ''): MirrorConfig {
  return mirrorsFrom(root, `[[mirrors]]\nretry = 1\n${toml}\n`, globalExtra)[0]!;
}

function issuesOf(text: string): string[] {
  try {
    parseWorkerConfig(`[global]\nname = "w1"\nlog_dir = "/tmp/l/{{.Name}}"\nmirror_dir = "/tmp/m"\n${text}`, '/etc/tunasync/worker.conf');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues.map(formatConfigIssue);
  }
  return [];
}

describe('run guard keys', () => {
  it.each([
    ['min_free_space = "lots"', 'mirrors[0].min_free_space', /"lots" is not a size/],
    ['min_free_space = "150%"', 'mirrors[0].min_free_space', /between 0% and 100%/],
    ['min_free_space = 0', 'mirrors[0].min_free_space', /is not a size/],
    ['check_upstream = true\nupstream_fallback = ["ftp://x/"]', 'mirrors[0].upstream_fallback[0]', /not an rsync:\/\/, host::module or http\(s\):\/\/ URL/],
    ['check_upstream = true\nupstream_fallback = ["rsync://b.example/debian"]', 'mirrors[0].upstream_fallback[0]', /must end with "\/"/],
    ['upstream_fallback = ["rsync://b.example/debian/"]', 'mirrors[0].upstream_fallback', /only with check_upstream = true/],
  ])('%s is refused naming the key', (line, key, why) => {
    const issues = issuesOf(`[[mirrors]]\nname = "debian"\nprovider = "rsync"\nupstream = "rsync://a.example/debian/"\n${line}\n`);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toContain('/etc/tunasync/worker.conf');
    expect(issues[0]).toContain(key);
    expect(issues[0]).toMatch(why);
  });

  it('a bad [global] min_free_space is reported once, under global; good ones are inherited and overridden', () => {
    const issues = issuesOf('min_free_space = "x"\n[[mirrors]]\nname = "a"\nprovider = "command"\ncommand = "true"\n[[mirrors]]\nname = "b"\nprovider = "command"\ncommand = "true"\n');
    // [global] comes first in the TOML here, so the key sits in the global table.
    expect(issues).toEqual([expect.stringContaining('global.min_free_space')]);
    const [a, b] = mirrorsFrom(root, '[[mirrors]]\nname = "a"\nprovider = "command"\ncommand = "true"\n[[mirrors]]\nname = "b"\nprovider = "command"\ncommand = "true"\nmin_free_space = "5%"\ncheck_upstream = false\n', 'min_free_space = "50G"\ncheck_upstream = true');
    expect(a).toMatchObject({ minFreeSpace: { text: '50G', bytes: 50 * 1024 ** 3 }, checkUpstream: true, atomicPublish: false });
    expect(b).toMatchObject({ minFreeSpace: { text: '5%', percent: 5 }, checkUpstream: false });
  });

  it('an old config has no guards', () => {
    const m = mirror('name = "old"\nprovider = "command"\ncommand = "true"');
    expect(m).toMatchObject({ minFreeSpace: undefined, checkUpstream: false, upstreamFallback: [], atomicPublish: false });
  });
});

describe('min_free_space', () => {
  it('says how much is free and what is needed, in the issue\'s words', async () => {
    const s = statfsSync(root);
    const free = s.bavail * s.bsize;
    expect(await freeSpaceProblem(join(root, 'not', 'made', 'yet'), { text: '1K', bytes: 1024 })).toBeUndefined();
    const msg = await freeSpaceProblem(root, { text: 'huge', bytes: free * 4 + 1 });
    expect(msg).toMatch(/^skipped: \d+(\.\d)?[KMGTP]? free, need huge$/);
    const fake = await freeSpaceProblem(root, { text: '50G', bytes: 50 * 1024 ** 3 }, async () => ({ free: 12 * 1024 ** 3, total: 100 * 1024 ** 3 }));
    expect(fake).toBe('skipped: 12G free, need 50G');
    const pct = await freeSpaceProblem(root, { text: '5%', percent: 5 }, async () => ({ free: 1024 ** 3, total: 100 * 1024 ** 3 }));
    expect(pct).toBe('skipped: 1G free, need 5% (5G)');
  });

  it('a run on a filesystem with too little room is skipped: no pre-syncing, no failure, the last status repeated', async () => {
    const m = mirror(`name = "full"\nprovider = "rsync"\nupstream = "${daemon.url('live')}"\nmin_free_space = "99%"`);
    const job = await rsyncJob(m);
    const first = await runOnce(job);
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ status: 'none', final: true, skipped: true, attempt: 1 });
    expect(first[0]!.errorMsg).toMatch(/^skipped: .* free, need 99% \(/);
    expect(existsSync(join(root, 'data', 'full'))).toBe(false);
  });
});

describe('probing an http(s) upstream', () => {
  it('HEAD: any answer below 500 is alive; a 5xx or a closed port is not', async () => {
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      res.statusCode = req.url === '/broken/' ? 503 : req.url === '/moved/' ? 404 : 200;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      expect(await probeUpstream(`${base}/debian/`, { timeoutS: 5 })).toBeUndefined();
      expect(await probeUpstream(`${base}/moved/`, { timeoutS: 5 })).toBeUndefined();
      expect(await probeUpstream(`${base}/broken/`, { timeoutS: 5 })).toBe('HTTP 503');
      expect(seen).toEqual(['HEAD /debian/', 'HEAD /moved/', 'HEAD /broken/']);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    expect(await probeUpstream(`http://127.0.0.1:${await freePort()}/`, { timeoutS: 5 })).toMatch(/ECONNREFUSED/);
  });
});

describe('a skipped run end to end', () => {
  it('a real worker reports it, the real manager records a skipped run and no failure', async () => {
    const cleanups: Cleanups = [];
    try {
      const dir = join(root, 'e2e');
      mkdirSync(dir, { recursive: true });
      const m = await startTestManager();
      cleanups.push(() => m.close());
      const worker = await makeWorker(cleanups, dir, m.base, '[[mirrors]]\nname = "tight"\nprovider = "command"\ncommand = "true"\nmin_free_space = "99%"\n');
      const ended = new Promise<RunEndEvent>((resolve) => worker.events.on('run:end', resolve));
      await worker.start();
      expect(await ended).toMatchObject({ mirror: 'tight', outcome: 'skipped' });
      expect(await worker.flushReports(10_000)).toBe(true);
      const job = (await m.call('GET', '/workers/w1/jobs')).body[0];
      expect(job).toMatchObject({ name: 'tight', status: 'none' });
      expect(job.error_msg).toMatch(/^skipped: .* free, need 99%/);
      const rows = (await m.call('GET', '/jobs/tight/history')).body as Record<string, unknown>[];
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ result: 'skipped', trigger: 'startup' });
      // The next run is scheduled as usual.
      expect(new Date(job.next_schedule as string).getTime()).toBeGreaterThan(Date.now());
    } finally {
      for (const c of cleanups.reverse()) await c();
    }
  });
});

describe('min_free_space on a nearly full filesystem', () => {
  it('a 4 MiB tmpfs with 3.5 MiB used skips a run needing 1M, and runs it once there is room', async () => {
    const mnt = join(root, 'small');
    mkdirSync(mnt, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mnt]);
    try {
      writeFileSync(join(mnt, 'filler'), Buffer.alloc(3.5 * 1024 * 1024));
      const m = mirrorsFrom(mnt, '[[mirrors]]\nname = "small"\nprovider = "command"\ncommand = "true"\nmin_free_space = "1M"\nretry = 1\n')[0]!;
      const job = commandJob(m);
      const skipped = await runOnce(job);
      expect(skipped).toEqual([expect.objectContaining({ status: 'none', skipped: true, errorMsg: 'skipped: 512K free, need 1M' })]);
      rmSync(join(mnt, 'filler'));
      expect((await runOnce(job)).map((e) => e.status)).toEqual(['pre-syncing', 'syncing', 'success']);
    } finally {
      execFileSync('umount', [mnt]);
    }
  });
});

describe('check_upstream', () => {
  it('a dead upstream falls back to the first live one for this run, and the report names it', async () => {
    const m = mirror(`name = "fb"\nprovider = "rsync"\nupstream = "${deadUrl}"\ncheck_upstream = true\nupstream_fallback = ["${deadUrl.replace('/live/', '/other/')}", "${daemon.url('live')}"]`);
    const job = await rsyncJob(m);
    const statuses = await runOnce(job);
    expect(statuses.map((s) => s.status)).toEqual(['pre-syncing', 'syncing', 'success']);
    expect(statuses.every((s) => s.upstream === daemon.url('live'))).toBe(true);
    expect(snapshot(join(root, 'data', 'fb')).entries).toEqual(safeEntries(join(root, 'up', 'live')));
  });

  it('a live upstream is used as configured (no upstream override reported)', async () => {
    const m = mirror(`name = "ok"\nprovider = "rsync"\nupstream = "${daemon.url('live')}"\ncheck_upstream = true\nupstream_fallback = ["${deadUrl}"]`);
    const statuses = await runOnce(await rsyncJob(m));
    expect(statuses.at(-1)).toMatchObject({ status: 'success' });
    expect(statuses.every((s) => s.upstream === undefined)).toBe(true);
  });

  it('with none live the run is skipped, repeating the last status; when the upstream is back it runs again', async () => {
    mkdirSync(join(root, 'd2'), { recursive: true });
    const own = await startRsyncDaemon(join(root, 'd2'), { live: { path: join(root, 'up', 'live') } });
    try {
      const m = mirror(`name = "gone"\nprovider = "rsync"\nupstream = "${own.url('live')}"\ncheck_upstream = true\nupstream_fallback = ["${deadUrl}"]`);
      const job = await rsyncJob(m);
      expect((await runOnce(job)).at(-1)).toMatchObject({ status: 'success' });
      await own.stop();
      const skipped = await runOnce(job);
      expect(skipped).toHaveLength(1);
      expect(skipped[0]).toMatchObject({ status: 'success', skipped: true, final: true });
      expect(skipped[0]!.errorMsg).toMatch(/^skipped: none of 2 upstreams does answer \(.+\)$/);
      expect(job.running).toBe(false);
    } finally {
      await own.stop();
    }
  });
});
