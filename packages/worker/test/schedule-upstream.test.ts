/**
 * `per_upstream_concurrent = 1` (issue 18) observed where it matters, at a
 * real rsync daemon: two mirrors of one host (127.0.0.1) never have
 * connections open at the same time, while a mirror of a third host
 * (localhost, the same daemon under another name) runs alongside them.
 * Transfers are slowed with --bwlimit so the runs last long enough to
 * overlap if the limit did not hold; the daemon's log, in order, is the
 * evidence.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chmodSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createTestWorker, tempDir, until } from '@tunasync/testkit';
import type { Worker } from '@tunasync/worker';
import { startRsyncDaemon, type RsyncDaemon } from './rsync-daemon.js';
import { put } from './trees.js';

let root: string;
let cleanup: () => void;
let daemon: RsyncDaemon;

beforeAll(async () => {
  const t = tempDir('tunasync-upstream-');
  root = t.dir;
  cleanup = t.cleanup;
  chmodSync(root, 0o755);
  for (const m of ['ma', 'mb', 'mc']) put(join(root, 'up', m), 'blob.bin', randomBytes(192 * 1024));
  daemon = await startRsyncDaemon(root, { ma: { path: join(root, 'up', 'ma') }, mb: { path: join(root, 'up', 'mb') }, mc: { path: join(root, 'up', 'mc') } });
});

afterAll(async () => {
  await daemon?.stop();
  cleanup?.();
});

/** Each daemon session in log order: its module and the log line indexes where it began and ended. */
function sessions(log: string): { module: string; from: number; to: number }[] {
  const lines = log.split('\n');
  const open = new Map<string, { module: string; from: number }>();
  const out: { module: string; from: number; to: number }[] = [];
  lines.forEach((line, i) => {
    const m = /\[(\d+)\] (?:rsync (?:on|to) (\w+)\/|sent \d+ bytes)/.exec(line);
    if (!m) return;
    if (m[2]) open.set(m[1]!, { module: m[2], from: i });
    else {
      const s = open.get(m[1]!);
      if (s) out.push({ ...s, to: i });
      open.delete(m[1]!);
    }
  });
  return out;
}

const overlap = (a: { from: number; to: number }, b: { from: number; to: number }): boolean => a.from < b.to && b.from < a.to;

describe('per_upstream_concurrent at a real rsync daemon', () => {
  it('two mirrors on one host never overlap; a third host runs alongside', async () => {
    const w: Worker = await createTestWorker({
      dir: root,
      apiBase: 'http://127.0.0.1:9',
      global: { concurrent: 10, per_upstream_concurrent: 1, rsync_options: ['--bwlimit=128'] },
      mirrors: [
        `[[mirrors]]\nname = "a"\nupstream = "${daemon.url('ma')}"\nretry = 1\n`,
        `[[mirrors]]\nname = "b"\nupstream = "${daemon.url('mb')}"\nretry = 1\n`,
        `[[mirrors]]\nname = "c"\nupstream = "rsync://localhost:${daemon.port}/mc/"\nretry = 1\n`,
      ].join(''),
      options: { registerWaitMs: 0 },
      strict: true,
    });
    const ended: string[] = [];
    w.events.on('run:end', (e) => ended.push(`${e.mirror}:${e.outcome}`));
    try {
      await w.start();
      await until(() => (ended.length === 3 ? true : undefined), 'three runs to end', 60_000);
    } finally {
      await w.halt();
    }
    expect(ended.sort()).toEqual(['a:success', 'b:success', 'c:success']);
    const s = sessions(readFileSync(daemon.logFile, 'utf8'));
    const by = (m: string): { from: number; to: number } => s.find((x) => x.module === m)!;
    expect(s.map((x) => x.module).sort()).toEqual(['ma', 'mb', 'mc']);
    expect(overlap(by('ma'), by('mb'))).toBe(false);
    expect(overlap(by('mc'), by('ma')) || overlap(by('mc'), by('mb'))).toBe(true);
  }, 90_000);
});
