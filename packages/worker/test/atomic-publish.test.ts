/**
 * `atomic_publish` (issue 18): a reader listing the mirror in a tight loop
 * during a sync never sees a mix of the old and the new tree; a failed run
 * leaves the published tree as it was; at most two generations are on disk.
 * Real rsync against a real daemon, and a command provider.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Worker as Thread } from 'node:worker_threads';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { prepareStaging } from '@tunasync/worker';
import { commandJob, mirrorsFrom, runOnce, tempDir } from './helpers.js';
import { startRsyncDaemon, type RsyncDaemon } from './rsync-daemon.js';
import { rsyncJob } from './rsync-helpers.js';

let root: string;
let cleanup: () => void;
let daemon: RsyncDaemon;
const up = (rel = ''): string => join(root, 'up', 'pub', rel);

/** Writes generation `gen` of the upstream: 200 files each saying `gen`. */
function writeUpstream(gen: string): void {
  rmSync(up(), { recursive: true, force: true });
  for (let d = 0; d < 10; d += 1) {
    mkdirSync(up(`d${d}`), { recursive: true });
    for (let f = 0; f < 20; f += 1) writeFileSync(up(`d${d}/f${f}.txt`), `${gen}\n${'x'.repeat(2000)}\n`);
  }
}

beforeAll(async () => {
  const t = tempDir('tunasync-publish-');
  root = t.dir;
  cleanup = t.cleanup;
  writeUpstream('old');
  daemon = await startRsyncDaemon(root, { pub: { path: up() } });
});

afterAll(async () => {
  await daemon?.stop();
  cleanup?.();
});

/**
 * Reads every file of `dir` in a loop on another thread until told to stop,
 * as a web server serves a listing: the path is resolved once per pass,
 * then each file read. Answers the set of generations each full pass saw
 * (a pass that saw two is a mix: a tree synced in place gives many).
 */
function startReader(dir: string): { stop(): Promise<{ passes: number; mixed: string[][] }> } {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const fs = require('node:fs'); const path = require('node:path');
    let stop = false; parentPort.on('message', () => { stop = true; });
    const mixed = []; let passes = 0;
    const pass = () => {
      if (stop) { parentPort.postMessage({ passes, mixed }); return; }
      const seen = new Set();
      try {
        const walk = (d) => { for (const e of fs.readdirSync(d, { withFileTypes: true })) {
          const p = path.join(d, e.name);
          if (e.isDirectory()) walk(p); else seen.add(fs.readFileSync(p, 'utf8').split('\\n')[0]);
        } };
        walk(fs.realpathSync(workerData));
        passes += 1;
        if (seen.size > 1) mixed.push([...seen]);
      } catch (err) { mixed.push(['error: ' + err.message]); }
      setImmediate(pass);
    };
    pass();`;
  const t = new Thread(code, { eval: true, workerData: dir });
  return {
    stop: () =>
      new Promise((resolve, reject) => {
        t.once('message', (m: { passes: number; mixed: string[][] }) => {
          void t.terminate();
          resolve(m);
        });
        t.once('error', reject);
        t.postMessage('stop');
      }),
  };
}

const generations = (dir: string, name: string): string[] => readdirSync(dir).filter((e) => e.startsWith(`.${name}.`)).sort();
const firstLines = (dir: string): Set<string> => {
  const out = new Set<string>();
  for (let d = 0; d < 10; d += 1) for (let f = 0; f < 20; f += 1) out.add(readFileSync(join(dir, `d${d}/f${f}.txt`), 'utf8').split('\n')[0]!);
  return out;
};

describe('atomic_publish', () => {
  it('rsync: readers never see a mix of old and new; the mirror path is a symlink to the newest generation; two generations at most', async () => {
    const m = mirrorsFrom(root, `[[mirrors]]\nname = "pub"\nprovider = "rsync"\nupstream = "${daemon.url('pub')}"\natomic_publish = true\nretry = 1\n`)[0]!;
    const job = await rsyncJob(m);
    expect((await runOnce(job)).at(-1)).toMatchObject({ status: 'success' });
    const data = join(root, 'data');
    expect(lstatSync(m.mirrorDir).isSymbolicLink()).toBe(true);
    expect(readlinkSync(m.mirrorDir)).toBe('.pub.1');
    expect(firstLines(m.mirrorDir)).toEqual(new Set(['old']));

    // A different length, so rsync's quick check (size and mtime) sees every file changed.
    writeUpstream('newer');
    const reader = startReader(m.mirrorDir);
    const statuses = await runOnce(job);
    const seen = await reader.stop();
    expect(statuses.at(-1)).toMatchObject({ status: 'success' });
    expect(seen.passes).toBeGreaterThan(0);
    expect(seen.mixed).toEqual([]);
    expect(readlinkSync(m.mirrorDir)).toBe('.pub.2');
    expect(firstLines(m.mirrorDir)).toEqual(new Set(['newer']));
    // The previous generation stays for readers that resolved the path before the swap.
    expect(generations(data, 'pub')).toEqual(['.pub.1', '.pub.2']);
    writeUpstream('third-generation'); // again a new length: rsync's quick check compares size and mtime (seconds)
    expect((await runOnce(job)).at(-1)).toMatchObject({ status: 'success' });
    expect(generations(data, 'pub')).toEqual(['.pub.2', '.pub.3']);
    expect(firstLines(m.mirrorDir)).toEqual(new Set(['third-generation']));
  });

  it('a failed run leaves the published tree in place and removes its staging copy', async () => {
    const dir = join(root, 'cmd');
    const m = mirrorsFrom(dir, `[[mirrors]]\nname = "c"\nprovider = "command"\ncommand = "sh -c 'echo $TUNASYNC_WORKING_DIR > ran-in; echo v$GEN > file; exit $CODE'"\natomic_publish = true\nretry = 1\nenv = { GEN = "1", CODE = "0" }\n`)[0]!;
    expect((await runOnce(commandJob(m))).at(-1)).toMatchObject({ status: 'success' });
    expect(readFileSync(join(m.mirrorDir, 'file'), 'utf8')).toBe('v1\n');
    // The command ran in the staging copy, not in the published path.
    expect(readFileSync(join(m.mirrorDir, 'ran-in'), 'utf8').trim()).toBe(join(dir, 'data', '.c.1'));

    const failing = { ...m, env: { GEN: '2', CODE: '3' } };
    const statuses = await runOnce(commandJob(failing));
    expect(statuses.at(-1)).toMatchObject({ status: 'failed', final: true });
    expect(readlinkSync(m.mirrorDir)).toBe('.c.1');
    expect(readFileSync(join(m.mirrorDir, 'file'), 'utf8')).toBe('v1\n');
    expect(generations(join(dir, 'data'), 'c')).toEqual(['.c.1']);
  });

  it('an existing plain mirror directory is taken over as generation 1; a foreign symlink is refused', async () => {
    const dir = join(root, 'conv');
    const mirrorDir = join(dir, 'm');
    mkdirSync(mirrorDir, { recursive: true });
    writeFileSync(join(mirrorDir, 'kept'), 'yes');
    const staging = await prepareStaging(mirrorDir, { hardLinks: true });
    expect(readlinkSync(mirrorDir)).toBe('.m.1');
    expect(readFileSync(join(staging.dir, 'kept'), 'utf8')).toBe('yes');
    // Hard links, not copies.
    expect(lstatSync(join(staging.dir, 'kept')).ino).toBe(lstatSync(join(dir, '.m.1', 'kept')).ino);
    await staging.discard();
    expect(existsSync(staging.dir)).toBe(false);

    const foreign = join(dir, 'f');
    mkdirSync(join(dir, 'elsewhere'));
    const { symlinkSync } = await import('node:fs');
    symlinkSync('elsewhere', foreign);
    await expect(prepareStaging(foreign)).rejects.toThrow(/is a symlink not made by tunasync/);
  });
});
