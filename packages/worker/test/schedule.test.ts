/**
 * Schedule policies, the timer-only Scheduler and JobSchedules, driven by an
 * injected clock and timers: no test here sleeps.
 */
import { describe, expect, it } from '@jest/globals';
import { createSilentLogger, emptyMirrorStatus, zeroTime, type Clock, type Logger, type MirrorSchedule, type MirrorStatus } from '@tunasync/core';
import {
  JobSchedules,
  MAX_TIMER_MS,
  Scheduler,
  cronPolicy,
  intervalPolicy,
  isValidCron,
  nextCronMatch,
  restoreJobs,
  schedulePolicyFor,
  type MirrorJob,
  type TimerApi,
} from '@tunasync/worker';

/** A clock and timers that move only when the test says so. */
class TestTime implements Clock, TimerApi {
  private ms: number;
  private seq = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();

  constructor(start: string) {
    this.ms = Date.parse(start);
  }

  now(): Date {
    return new Date(this.ms);
  }

  set(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.ms + Math.max(0, ms), fn });
    return id;
  }

  clear(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** Moves time forward by `ms`, firing due timers in order (each at its own instant). */
  advance(ms: number): void {
    const end = this.ms + ms;
    for (;;) {
      const next = [...this.timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
      if (!next) break;
      this.timers.delete(next[0]);
      this.ms = next[1].at;
      next[1].fn();
    }
    this.ms = end;
  }

  get pending(): number {
    return this.timers.size;
  }
}

const MIN = 60_000;
// Cron expressions here match every quarter hour, the same instants in any whole- or half-hour time zone.
const at = (iso: string): Date => new Date(iso);

describe('schedule policies', () => {
  it('interval: at once when never run, `interval` minutes after the last end, nothing while a run is in progress', () => {
    const p = intervalPolicy(60);
    const now = at('2026-11-30T12:00:00Z');
    expect(p.next({}, now)).toEqual(now);
    expect(p.next({ ended: at('2026-11-30T11:30:00Z') }, now)).toEqual(at('2026-11-30T12:30:00Z'));
    // Long past: due at once (the timer fires at once for any past time).
    expect(p.next({ ended: at('2026-11-29T00:00:00Z') }, now)!.getTime()).toBeLessThan(now.getTime());
    // An end ahead of our clock (the manager's clock runs fast) counts as now.
    expect(p.next({ ended: at('2026-11-30T13:00:00Z') }, now)).toEqual(at('2026-11-30T13:00:00Z'));
    expect(p.next({ started: at('2026-11-30T11:59:00Z'), ended: at('2026-11-30T11:00:00Z') }, now)).toBeUndefined();
    expect(p.next({ started: at('2026-11-30T11:59:00Z') }, now)).toBeUndefined();
    expect(p.next({ started: at('2026-11-30T11:00:00Z'), ended: at('2026-11-30T11:59:00Z') }, now)).toEqual(at('2026-11-30T12:59:00Z'));
  });

  it('cron: the first match strictly after now, whatever the last run', () => {
    const p = cronPolicy('*/15 * * * *');
    expect(p.next({}, at('2026-11-30T12:07:30Z'))).toEqual(at('2026-11-30T12:15:00Z'));
    expect(p.next({ started: at('2026-11-30T12:15:00Z') }, at('2026-11-30T12:15:00Z'))).toEqual(at('2026-11-30T12:30:00Z'));
    expect(nextCronMatch('30 * * * * *', at('2026-11-30T12:00:10Z'))).toEqual(at('2026-11-30T12:00:30Z'));
    expect(isValidCron('*/5 * * * *')).toBe(true);
    expect(isValidCron('every tuesday')).toBe(false);
    expect(isValidCron('')).toBe(false);
  });

  it('a mirror with cron gets the cron policy, else its interval', () => {
    const now = at('2026-11-30T12:07:00Z');
    expect(schedulePolicyFor({ cron: '*/15 * * * *', interval: 5 }).next({}, now)).toEqual(at('2026-11-30T12:15:00Z'));
    expect(schedulePolicyFor({ cron: '', interval: 5 }).next({ ended: now }, now)).toEqual(at('2026-11-30T12:12:00Z'));
  });
});

describe('timer-only Scheduler', () => {
  function make(time: TestTime): { s: Scheduler; due: string[]; changes: MirrorSchedule[] } {
    const due: string[] = [];
    const changes: MirrorSchedule[] = [];
    const s = new Scheduler({ clock: time, timers: time, onDue: (n) => due.push(n), onChange: (c) => changes.push(...c) });
    return { s, due, changes };
  }

  it('fires at the time and not before, once; a cancelled run never fires', () => {
    const time = new TestTime('2026-11-30T12:00:00Z');
    const { s, due, changes } = make(time);
    s.at('a', at('2026-11-30T12:10:00Z'));
    s.at('b', at('2026-11-30T12:05:00Z'));
    s.cancel('b');
    expect(s.next('a')).toEqual(at('2026-11-30T12:10:00Z'));
    time.advance(10 * MIN - 1);
    expect(due).toEqual([]);
    time.advance(1);
    expect(due).toEqual(['a']);
    time.advance(60 * MIN);
    expect(due).toEqual(['a']);
    expect(changes.map((c) => c.name)).toEqual(['a', 'b']);
    expect(s.next('a')).toBeUndefined();
  });

  it('a past time fires at once and reports now; the same time again reports nothing', () => {
    const time = new TestTime('2026-11-30T12:00:00Z');
    const { s, due, changes } = make(time);
    s.at('late', at('2026-11-30T11:00:00Z'));
    expect(changes).toEqual([{ name: 'late', nextSchedule: at('2026-11-30T12:00:00Z') }]);
    time.advance(0);
    expect(due).toEqual(['late']);
    s.at('x', at('2026-11-30T13:00:00Z'));
    s.at('x', at('2026-11-30T13:00:00Z'));
    expect(changes.filter((c) => c.name === 'x')).toHaveLength(1);
    expect(time.pending).toBe(1);
  });

  it('chains timers beyond Node\'s limit and fires at the exact time (a yearly cron)', () => {
    const time = new TestTime('2026-01-01T00:00:00Z');
    const { s, due } = make(time);
    const when = new Date(time.now().getTime() + 3 * MAX_TIMER_MS + 5000);
    s.at('yearly', when);
    time.advance(3 * MAX_TIMER_MS);
    expect(due).toEqual([]);
    expect(s.next('yearly')).toEqual(when);
    time.advance(4999);
    expect(due).toEqual([]);
    time.advance(1);
    expect(due).toEqual(['yearly']);
  });
});

describe('JobSchedules', () => {
  function make(time: TestTime): { js: JobSchedules; due: string[] } {
    const due: string[] = [];
    const s = new Scheduler({ clock: time, timers: time, onDue: (n) => { js.due(n); due.push(n); }, onChange: () => {} });
    const js: JobSchedules = new JobSchedules(s, time, createSilentLogger());
    return { js, due };
  }

  it('interval: runs at once, then `interval` after each end; nothing pending while running; hold drops the run', () => {
    const time = new TestTime('2026-11-30T12:00:00Z');
    const { js, due } = make(time);
    js.track('i', intervalPolicy(30));
    js.arm('i');
    time.advance(0);
    expect(due).toEqual(['i']);
    expect(js.next('i')).toBeUndefined();
    time.advance(7 * MIN);
    js.ended('i');
    expect(js.next('i')).toEqual(at('2026-11-30T12:37:00Z'));
    time.advance(30 * MIN);
    expect(due).toEqual(['i', 'i']);
    js.ended('i');
    js.hold('i');
    time.advance(120 * MIN);
    expect(due).toEqual(['i', 'i']);
    expect(js.next('i')).toBeUndefined();
  });

  it('interval: a start by hand replaces the pending run; the next follows from its end', () => {
    const time = new TestTime('2026-11-30T12:00:00Z');
    const { js, due } = make(time);
    js.track('i', intervalPolicy(60), { ended: at('2026-11-30T11:30:00Z') });
    js.arm('i');
    expect(js.next('i')).toEqual(at('2026-11-30T12:30:00Z'));
    js.started('i');
    expect(js.next('i')).toBeUndefined();
    time.advance(10 * MIN);
    js.ended('i');
    expect(js.next('i')).toEqual(at('2026-11-30T13:10:00Z'));
    expect(due).toEqual([]);
  });

  it('cron: fires on every match, also while a run is in progress; a start by hand leaves it alone', () => {
    const time = new TestTime('2026-11-30T12:07:00Z');
    const { js, due } = make(time);
    js.track('c', cronPolicy('*/15 * * * *'));
    js.arm('c');
    expect(js.next('c')).toEqual(at('2026-11-30T12:15:00Z'));
    js.started('c');
    expect(js.next('c')).toEqual(at('2026-11-30T12:15:00Z'));
    time.advance(8 * MIN);
    expect(due).toEqual(['c']);
    expect(js.next('c')).toEqual(at('2026-11-30T12:30:00Z'));
    time.advance(15 * MIN);
    expect(due).toEqual(['c', 'c']);
    js.ended('c');
    expect(js.next('c')).toEqual(at('2026-11-30T12:45:00Z'));
  });
});

describe('start-up restore', () => {
  it('keeps disabled and paused jobs unscheduled; schedules the rest from the manager\'s last_update', () => {
    const time = new TestTime('2026-11-30T12:00:00Z');
    const s = new Scheduler({ clock: time, timers: time, onDue: () => {}, onChange: () => {} });
    const js = new JobSchedules(s, time, createSilentLogger());
    const restored: Record<string, string> = {};
    const job = (name: string, cron = ''): MirrorJob =>
      ({ name, mirror: { name, cron, interval: 60 }, restoreState: (st: string) => (restored[name] = st) }) as unknown as MirrorJob;
    const stored = (name: string, status: MirrorStatus['status'], lastUpdate: Date): [string, MirrorStatus] => [name, { ...emptyMirrorStatus(name, 'w'), status, lastUpdate }];
    const jobs = [job('off'), job('held'), job('recent'), job('never'), job('fresh'), job('cron', '*/15 * * * *')];
    restoreJobs(
      jobs,
      new Map([
        stored('off', 'disabled', at('2026-11-30T11:50:00Z')),
        stored('held', 'paused', at('2026-11-30T11:50:00Z')),
        stored('recent', 'success', at('2026-11-30T11:30:00Z')),
        stored('never', 'failed', zeroTime()),
        stored('cron', 'success', at('2026-11-30T11:59:00Z')),
      ]),
      js,
    );
    expect(restored).toEqual({ off: 'disabled', held: 'paused' });
    expect(js.next('off')).toBeUndefined();
    expect(js.next('held')).toBeUndefined();
    expect(js.next('recent')).toEqual(at('2026-11-30T12:30:00Z'));
    expect(js.next('never')).toEqual(time.now());
    expect(js.next('fresh')).toEqual(time.now());
    expect(js.next('cron')).toEqual(at('2026-11-30T12:15:00Z'));
  });
});

describe('schedule decisions are logged at the verbose level', () => {
  it('arming, replacing and holding a run each log one verbose line', () => {
    const time = new TestTime('2026-11-30T12:00:00Z');
    const lines: string[] = [];
    const log = (level: string) => (message: string): void => void lines.push(`${level} ${message}`);
    const logger: Logger = { error: log('error'), warn: log('warn'), info: log('info'), verbose: log('verbose'), debug: log('debug'), child: () => logger };
    const s = new Scheduler({ clock: time, timers: time, onDue: () => {}, onChange: () => {} });
    const js = new JobSchedules(s, time, logger);
    js.track('i', intervalPolicy(60), { ended: at('2026-11-30T11:30:00Z') });
    js.arm('i');
    js.arm('i');
    js.hold('i');
    expect(lines).toEqual([
      'verbose schedule i: next run at 2026-11-30T12:30:00.000Z (every 60 min after the last run)',
      'verbose schedule i: held',
    ]);
  });
});
