/**
 * What a try transferred, read from its log: rsync's --stats blocks (summed
 * over the stages, each at its command's human-readable level, from the
 * try's first byte on), a command's transferred_pattern, and what happens
 * when a provider cannot tell or its log cannot be read.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Provider } from '@tunasync/core';
import { captureLogger } from '@tunasync/testkit';
import { CommandProvider, RsyncProvider, TwoStageRsyncProvider, logOffset, patternTransferStats, rsyncTransferStats, transferStatsOf } from '@tunasync/worker';
import { mirrorsFrom, tempDir } from './helpers.js';

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

function dir(): string {
  const t = tempDir('tunasync-transfer-');
  cleanups.push(t.cleanup);
  return t.dir;
}

const block = (files: string, bytes: string): string =>
  `Number of files: 9 (reg: 8, dir: 1)\nNumber of regular files transferred: ${files}\nTotal file size: 9.99M bytes\nTotal transferred file size: ${bytes} bytes\nLiteral data: ${bytes} bytes\n\nsent 1 bytes  received 2 bytes\n`;

describe('rsyncTransferStats', () => {
  it('sums the blocks of a log, each at its own level', async () => {
    const log = join(dir(), 'two-stage.log');
    // Stage 1 with -h (units of 1000), stage 2 with -hh (units of 1024).
    writeFileSync(log, `receiving incremental file list\npool/a\n${block('2', '1.00K')}pool/b\n${block('1,000', '1.00K')}`);
    expect(await rsyncTransferStats(log, [2, 3])).toEqual({ transferredBytes: 1000 + 1024, filesTransferred: 1002 });
    // More blocks than levels: the last level goes on.
    expect(await rsyncTransferStats(log, [3])).toEqual({ transferredBytes: 2048, filesTransferred: 1002 });
  });

  it('reads only what the try appended when runs share a log file', async () => {
    const log = join(dir(), 'mirror_2026-01-01_00_00.log');
    writeFileSync(log, block('3', '1.25M'));
    const from = await logOffset(log);
    expect(from).toBeGreaterThan(0);
    appendFileSync(log, block('0', '0'));
    expect(await rsyncTransferStats(log, [2])).toEqual({ transferredBytes: 1_250_000, filesTransferred: 3 });
    expect(await rsyncTransferStats(log, [2], from)).toEqual({ transferredBytes: 0, filesTransferred: 0 });
  });

  it('gives nothing for a log without --stats or no log at all', async () => {
    const d = dir();
    writeFileSync(join(d, 'plain.log'), 'rsync: failed to connect to 127.0.0.1: Connection refused (111)\nrsync error: error in socket IO (code 10)\n');
    expect(await rsyncTransferStats(join(d, 'plain.log'), [2])).toEqual({});
    expect(await rsyncTransferStats(join(d, 'absent.log'), [2])).toEqual({});
    expect(await logOffset(join(d, 'absent.log'))).toBe(0);
  });
});

describe('the rsync providers', () => {
  it('count only when their commands print --stats: not with an rsync_override without it', async () => {
    const d = dir();
    const log = join(d, 'run.log');
    writeFileSync(log, block('3', '1.25M'));
    const up = 'upstream = "rsync://127.0.0.1/m/"';
    const [plain, override, twoStage, twoOverride] = mirrorsFrom(
      d,
      `[[mirrors]]\nname = "a"\n${up}\n` +
        `[[mirrors]]\nname = "b"\n${up}\nrsync_override = ["-avh", "--delete"]\n` +
        `[[mirrors]]\nname = "c"\nprovider = "two-stage-rsync"\nstage1_profile = "debian"\n${up}\n` +
        `[[mirrors]]\nname = "d"\nprovider = "two-stage-rsync"\nstage1_profile = "debian"\n${up}\nrsync_override = ["-avh"]\n`,
    );
    expect(await new RsyncProvider(plain!).transferStats(log)).toEqual({ transferredBytes: 1_250_000, filesTransferred: 3 });
    expect(await new RsyncProvider(override!).transferStats(log)).toEqual({});
    expect(await new TwoStageRsyncProvider(twoStage!).transferStats(log)).toEqual({ transferredBytes: 1_250_000, filesTransferred: 3 });
    // Stage 1 prints its stats, stage 2 would not: stage 1's alone would undercount the run.
    expect(await new TwoStageRsyncProvider(twoOverride!).transferStats(log)).toEqual({});
  });
});

describe('transferred_pattern', () => {
  it('takes the last match as a byte count or a size, and nothing for a group that is not one', async () => {
    const log = join(dir(), 'cmd.log');
    writeFileSync(log, 'moved 10 bytes\nmoved 2,048 bytes\nmoved lots bytes\n');
    expect(await patternTransferStats(log, /moved ([0-9,]+) bytes/)).toEqual({ transferredBytes: 2048 });
    expect(await patternTransferStats(log, /moved (\S+) bytes/)).toEqual({});
    expect(await patternTransferStats(log, /copied ([0-9]+)/)).toEqual({});
    const p = new CommandProvider({ name: 'c', upstream: '', command: 'true', failOnMatch: '', sizePattern: '', transferredPattern: 'moved ([0-9.]+[KMG]?) bytes' });
    appendFileSync(log, 'moved 1.5K bytes\n');
    expect(await p.transferStats(log)).toEqual({ transferredBytes: 1536 });
    const without = new CommandProvider({ name: 'c', upstream: '', command: 'true', failOnMatch: '', sizePattern: '' });
    expect(await without.transferStats(log)).toEqual({});
  });
});

describe('transferStatsOf', () => {
  it('is empty for a provider that cannot tell, and a warning (not a failure) when the log cannot be read', async () => {
    const d = dir();
    const { logger, text } = captureLogger();
    const custom: Provider = { name: 'x', kind: './custom.js', upstream: '', run: async () => ({}) };
    expect(await transferStatsOf(custom, join(d, 'x.log'), 0, logger)).toEqual({});
    // A directory where the log should be: reading it fails with EISDIR.
    mkdirSync(join(d, 'dir.log'));
    const p = new CommandProvider({ name: 'c', upstream: '', command: 'true', failOnMatch: '', sizePattern: '', transferredPattern: '([0-9]+)' });
    expect(await transferStatsOf(p, join(d, 'dir.log'), 0, logger)).toEqual({});
    expect(text()).toContain(`cannot read what the run transferred from ${join(d, 'dir.log')}`);
  });
});
