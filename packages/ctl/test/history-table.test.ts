/** The pieces of the `history -o table` table: durations, byte counts, short run ids, rows. */
import { describe, expect, it } from '@jest/globals';
import type { RunRecord } from '@tunasync/core';
import { RUN_COLUMNS, formatBytes, formatDuration, runsTable, shortRunIds } from '@tunasync/ctl';

describe('formatDuration', () => {
  it.each([
    [undefined, '-'], [-1, '-'], [Number.NaN, '-'], [0, '0s'], [0.4, '0s'], [42.6, '43s'], [59.4, '59s'],
    [60, '1m0s'], [192.4, '3m12s'], [3599, '59m59s'], [3600, '1h0m'], [3723, '1h2m'], [86_399, '23h59m'], [90_000, '1d1h'],
  ])('%p s → %s', (s, text) => {
    expect(formatDuration(s)).toBe(text);
  });
});

describe('formatBytes', () => {
  it.each([
    [undefined, '-'], [-5, '-'], [0, '0B'], [512, '512B'], [1023, '1023B'], [1024, '1K'], [1536, '1.5K'], [1_610_612_736, '1.5G'], [25_125_558_681_600, '22.9T'],
  ])('%p → %s', (n, text) => {
    expect(formatBytes(n)).toBe(text);
  });
});

describe('shortRunIds', () => {
  it('cuts ids to 8 characters when that tells them apart', () => {
    expect(shortRunIds(['6f1c2a9e-0000-4000', '0b7d41c3-0000-4000', 'r-1'])).toEqual(['6f1c2a9e', '0b7d41c3', 'r-1']);
  });

  it('keeps more characters when the first 8 are shared', () => {
    expect(shortRunIds(['20261130-0943-debian-a', '20261130-0943-debian-b', '20261130-1043-debian-a'])).toEqual(['20261130-0943-debian-a', '20261130-0943-debian-b', '20261130-1043-debian-a']);
    expect(shortRunIds(['20261130-aaa', '20261130-bbb'])).toEqual(['20261130-a', '20261130-b']);
  });

  it('cuts an id listed twice the same way; an empty list stays empty', () => {
    expect(shortRunIds(['abcdefghij', 'abcdefghij', 'abcdefghik'])).toEqual(['abcdefghij', 'abcdefghij', 'abcdefghik']);
    expect(shortRunIds(['abcdefghij', 'abcdefghij'])).toEqual(['abcdefgh', 'abcdefgh']);
    expect(shortRunIds([])).toEqual([]);
  });
});

describe('runsTable', () => {
  const now = new Date('2026-11-30T10:00:00Z');
  const run = (extra: Partial<RunRecord>): RunRecord => ({
    runId: 'aaaaaaaa-1', worker: 'w1', mirror: 'debian', trigger: 'schedule', startedAt: new Date('2026-11-30T07:00:00Z'),
    attempts: 1, errorMsg: '', size: '', ...extra,
  });

  it('draws the header and one line per run; a long error is cut', () => {
    const text = runsTable([
      run({ result: 'aborted', durationS: 5, exitCode: -15, errorMsg: `stopped ${'x'.repeat(100)}` }),
      run({ runId: 'bbbbbbbb-2', result: 'skipped', trigger: 'startup', errorMsg: '  disk full\n' }),
    ], { now, color: false });
    const lines = text.trimEnd().split('\n');
    expect(lines[0]!.split(/\s{2,}/)).toEqual(RUN_COLUMNS);
    const first = lines[1]!.split(/\s{2,}/);
    expect(first.slice(0, 9)).toEqual(['aaaaaaaa', '2026-11-30 07:00:00 (3h ago)', '5s', 'aborted', '-15', '-', '-', 'schedule', 'w1']);
    expect([...first[9]!]).toHaveLength(60);
    expect(first[9]!.endsWith('…')).toBe(true);
    expect(lines[2]!.split(/\s{2,}/).slice(3)).toEqual(['skipped', '-', '-', '-', 'startup', 'w1', 'disk full']);
  });

  it('colours results on a terminal only', () => {
    expect(runsTable([run({ result: 'success' })], { now, color: true })).toContain('\x1b[32msuccess\x1b[0m');
    expect(runsTable([run({})], { now, color: true })).toContain('\x1b[36mrunning\x1b[0m');
    expect(runsTable([run({ result: 'success' })], { now, color: false })).not.toContain('\x1b');
  });
});
