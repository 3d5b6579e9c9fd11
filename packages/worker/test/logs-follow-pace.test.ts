/**
 * The pace of a shared log reader (follow-pace.ts), on a real file and an
 * injected clock: after a read that reached the end it waits the interval;
 * while the file grows it takes at most its budget per interval; once the
 * file stops growing it reads on without waiting.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { appendFileSync, writeFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '@tunasync/testkit';
import { FollowPace, FOLLOW_GROWING_BYTES, FOLLOW_INTERVAL_MS } from '@tunasync/worker';

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

async function growingFile(): Promise<{ fh: FileHandle; grow(): void }> {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const file = join(t.dir, 'job.log');
  writeFileSync(file, 'x'.repeat(5000));
  const fh = await open(file, 'r');
  cleanups.push(() => fh.close());
  return { fh, grow: () => appendFileSync(file, 'more\n') };
}

describe('the pace of a log reader', () => {
  it('takes at most its budget per interval while the file grows, and reads on once it stops growing', async () => {
    const { fh, grow } = await growingFile();
    let now = 1_000;
    const pace = new FollowPace(100, 1000, () => now);
    expect(await pace.waitMs(fh)).toBe(0);
    pace.read(600, false);
    expect(await pace.waitMs(fh)).toBe(0); // within the budget
    pace.read(600, false);
    now += 30;
    expect(await pace.waitMs(fh)).toBe(70); // over it, and the file is new to the pace: the rest of the interval
    now += 70;
    expect(await pace.waitMs(fh)).toBe(0); // a new interval
    pace.read(1200, false);
    expect(await pace.waitMs(fh)).toBe(0); // over the budget, but the file did not grow since the last look
    grow();
    pace.read(1200, false);
    expect(await pace.waitMs(fh)).toBe(100); // it grew: wait for the next interval
    now += 100;
    expect(await pace.waitMs(fh)).toBe(0);
  });

  it('waits the interval after a read that reached the end; a budget of 0 never limits', async () => {
    const { fh, grow } = await growingFile();
    let now = 5_000;
    const pace = new FollowPace(100, 0, () => now);
    pace.read(10, true);
    now += 40;
    expect(await pace.waitMs(fh)).toBe(60);
    now += 60;
    for (let i = 0; i < 5; i++) {
      grow();
      pace.read(1_000_000, false);
      expect(await pace.waitMs(fh)).toBe(0);
    }
    expect(FOLLOW_INTERVAL_MS).toBe(100);
    expect(FOLLOW_GROWING_BYTES).toBe(256 * 1024);
  });
});
