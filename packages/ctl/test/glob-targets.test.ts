/**
 * The pieces under the job commands and watch, without a manager: shell
 * globs, resolving words to jobs, the SSE parser, the watch model, what
 * completion asks the manager for, and the output default.
 */
import { describe, expect, it } from '@jest/globals';
import { emptyMirrorStatus, type MirrorStatus, type SyncStatus } from '@tunasync/core';
import {
  SseParser,
  WatchModel,
  changeLine,
  chooseOutput,
  completionNeed,
  completionWords,
  globToRegExp,
  isGlob,
  matchGlob,
  parseAtTime,
  parseJobEvent,
  renderScreen,
  resolveTargets,
} from '@tunasync/ctl';

describe('globs', () => {
  it.each([
    ['debian*', 'debian-security', true],
    ['debian*', 'ubuntu', false],
    ['cent?s', 'centos', true],
    ['[a-c]*', 'centos', true],
    ['[!a-c]*', 'centos', false],
    ['[^d]*', 'debian', false],
    ['debian-*', 'debian-cd', true],
    ['a.b', 'axb', false],
    ['x\\*', 'x*', true],
    ['x\\*', 'xy', false],
    ['[]]', ']', true],
    ['[', '[', true],
    ['a+b', 'a+b', true],
  ])('%s on %s: %s', (glob, name, want) => {
    expect(matchGlob(glob, name)).toBe(want);
  });

  it('knows a glob from a name', () => {
    expect(isGlob('debian')).toBe(false);
    expect(isGlob('debian*')).toBe(true);
    expect(isGlob('deb[ia]n')).toBe(true);
    expect(() => globToRegExp('[z-a]')).toThrow();
  });
});

describe('resolveTargets', () => {
  const refs = [
    { worker: 'w1', mirror: 'debian' },
    { worker: 'w1', mirror: 'ubuntu' },
    { worker: 'w2', mirror: 'debian-cd' },
    { worker: 'w2', mirror: 'ubuntu' },
  ];

  it('expands globs over workers, keeps the order named, names each job once', () => {
    expect(resolveTargets(['debian*', 'debian'], refs)).toEqual({
      targets: [{ worker: 'w1', mirror: 'debian' }, { worker: 'w2', mirror: 'debian-cd' }],
      problems: [],
    });
  });

  it('names the problems: several workers, no match, unknown', () => {
    expect(resolveTargets(['ubuntu', 'fedora*', 'arch'], refs).problems).toEqual([
      'ubuntu is on several workers: w1, w2 (choose one with -w WORKER)',
      'no mirror matches fedora*',
      'no worker has a mirror arch',
    ]);
  });

  it('with a worker, takes every name to be on it', () => {
    const onW2 = refs.filter((r) => r.worker === 'w2');
    expect(resolveTargets(['ubuntu'], onW2, 'w2')).toEqual({ targets: [{ worker: 'w2', mirror: 'ubuntu' }], problems: [] });
    expect(resolveTargets(['debian'], onW2, 'w2').problems).toEqual(['worker w2 has no mirror debian']);
  });

  it('escapes names from the manager in problems', () => {
    expect(resolveTargets(['x'], [{ worker: 'a\u001b[2Kb', mirror: 'x' }, { worker: 'c', mirror: 'x' }]).problems[0]).toContain('a\\x1b[2Kb');
  });
});

describe('SseParser', () => {
  it('cuts events at blank lines across chunks, joins data, keeps id and retry, skips comments', () => {
    const p = new SseParser();
    expect(p.push(': keep-alive\n\nretry: 3000\nid: 7\nevent: job\ndata: {"a":')).toEqual([]);
    expect(p.push('1}\n\r\nevent: worker\ndata: x\ndata: y\r')).toEqual([{ event: 'job', data: '{"a":1}', id: '7', retry: 3000 }]);
    expect(p.push('\n\ndata:plain\n\n')).toEqual([
      { event: 'worker', data: 'x\ny', id: '7' },
      { event: 'message', data: 'plain', id: '7' },
    ]);
  });
});

const ZERO_WEB = '0001-01-01 00:00:00 +0000';
const webEntry = (name: string, status: string, extra: Record<string, unknown> = {}) => ({
  name, is_master: true, status,
  last_update: ZERO_WEB, last_update_ts: -62135596800, last_started: ZERO_WEB, last_started_ts: -62135596800,
  last_ended: ZERO_WEB, last_ended_ts: -62135596800, next_schedule: ZERO_WEB, next_schedule_ts: -62135596800,
  upstream: 'rsync://u/', size: '1G', ...extra,
});
const job = (name: string, worker: string, status: SyncStatus): MirrorStatus => ({ ...emptyMirrorStatus(name, worker), status });

describe('WatchModel', () => {
  it('sorts by status then name, counts, and reports changes from snapshots and events', () => {
    const model = new WatchModel();
    expect(model.snapshot([job('b', 'w1', 'success'), job('a', 'w1', 'success'), job('c', 'w2', 'failed')], true)).toEqual([]);
    expect(model.jobs().map((j) => j.name)).toEqual(['c', 'a', 'b']);
    expect(Object.fromEntries(model.counts())).toEqual({ success: 2, failed: 1 });
    const changes = model.snapshot([job('a', 'w1', 'syncing'), job('c', 'w2', 'failed'), job('d', 'w2', 'none')]);
    expect(changes.map((c) => changeLine(c, new Date('2026-11-30T10:00:00Z')))).toEqual([
      '2026-11-30T10:00:00Z a on w1: success -> syncing\n',
      '2026-11-30T10:00:00Z d on w2: new, none\n',
      '2026-11-30T10:00:00Z b on w1: removed\n',
    ]);
    // An event without a worker is the row of that name.
    const e = parseJobEvent(JSON.stringify(webEntry('a', 'success', { worker: undefined })))!;
    expect(model.update(e.job, e.worker)).toEqual([expect.objectContaining({ from: 'syncing', job: expect.objectContaining({ name: 'a', worker: 'w1', status: 'success' }) })]);
  });

  it('an event for a name on two workers without a worker asks for a snapshot; with one it is that row', () => {
    const model = new WatchModel();
    model.snapshot([job('u', 'w1', 'success'), job('u', 'w2', 'success')], true);
    const bare = parseJobEvent(JSON.stringify(webEntry('u', 'failed')))!;
    expect(model.update(bare.job, bare.worker)).toBe('ambiguous');
    const named = parseJobEvent(JSON.stringify(webEntry('u', 'failed', { worker: 'w2', extra_key: 1 })))!;
    expect(model.update(named.job, named.worker)).toHaveLength(1);
    expect(model.jobs().map((j) => `${j.worker}:${j.status}`)).toEqual(['w2:failed', 'w1:success']);
    expect(parseJobEvent('not json')).toBeUndefined();
    expect(parseJobEvent('{"name": 1}')).toBeUndefined();
  });

  it('filters by status and glob', () => {
    const model = new WatchModel({ statuses: ['failed'], globs: ['deb*'] });
    model.snapshot([job('debian', 'w1', 'failed'), job('debian-cd', 'w1', 'success'), job('ubuntu', 'w1', 'failed')], true);
    expect(model.jobs().map((j) => j.name)).toEqual(['debian']);
  });

  it('the screen fits 80 columns and the terminal height', () => {
    const model = new WatchModel();
    model.snapshot(Array.from({ length: 50 }, (_, i) => job(`a-very-long-mirror-name-that-goes-on-and-on-${i}`, 'a-long-worker-name', 'success')), true);
    const lines = renderScreen(model, { manager: 'http://127.0.0.1:14242', feed: 'live', now: new Date(), columns: 80, rows: 24, color: false, marked: () => false });
    expect(lines.length).toBeLessThanOrEqual(24);
    for (const l of lines) expect([...l].length).toBeLessThanOrEqual(80);
    expect(lines.join('\n')).toContain('more');
  });
});

describe('completion and output', () => {
  it('says what a word completes to', () => {
    expect(completionNeed(completionWords(['--get-yargs-completions', 'tunasynctl', 'start', 'de']))).toEqual({ kind: 'mirrors' });
    expect(completionNeed(completionWords(['--get-yargs-completions', 'start', '-w', 'w1', '']))).toEqual({ kind: 'mirrors', worker: 'w1' });
    expect(completionNeed(['stop', '-w', ''])).toEqual({ kind: 'workers' });
    expect(completionNeed(['list', ''])).toEqual({ kind: 'workers' });
    expect(completionNeed(['set-status', 'debian', ''])).toEqual({ kind: 'values', values: ['success', 'failed'] });
    expect(completionNeed(['history', 'debian', ''])).toEqual({ kind: 'values', values: [] });
    expect(completionNeed(['st'])).toEqual({ kind: 'default' });
    expect(completionNeed(['start', '--dr'])).toEqual({ kind: 'default' });
  });

  it('picks the output: flag, setting, then the terminal', () => {
    expect(chooseOutput(undefined, 'auto', { interactive: true })).toBe('table');
    expect(chooseOutput(undefined, 'auto', { interactive: false })).toBe('json');
    expect(chooseOutput(undefined, 'json', { interactive: true })).toBe('json');
    expect(chooseOutput('table', 'json', { interactive: false })).toBe('table');
  });

  it('reads --at as RFC 3339 or a local time', () => {
    expect(parseAtTime('2026-11-30T08:00:00Z').toISOString()).toBe('2026-11-30T08:00:00.000Z');
    expect(parseAtTime('2026-11-30 16:05').getHours()).toBe(16);
    expect(() => parseAtTime('yesterday')).toThrow(/--at must be a time/);
    expect(() => parseAtTime('2026-02-30 10:00')).toThrow(/--at must be a time/);
  });
});
