/**
 * Issue 18's schedule policies on a test clock (no test here sleeps): cron
 * in a time zone across both DST changes, fixed rate skipping a slot missed
 * by a long run, blackout windows crossing midnight, spread offsets. Each
 * drives the real Scheduler and JobSchedules through injected timers, so
 * what is asserted is when the timer actually fired and what was reported.
 */
import { describe, expect, it } from '@jest/globals';
import { createSilentLogger, type MirrorSchedule } from '@tunasync/core';
import {
  Blackouts,
  JobSchedules,
  Scheduler,
  alignToSpread,
  formatHHMM,
  parseBlackout,
  parseDuration,
  schedulePolicyFor,
  spreadOffsets,
  upstreamHost,
  zonedToUtc,
  type ScheduleKeys,
} from '@tunasync/worker';
import { TimedClock } from './sched-time.js';

/** A Scheduler and JobSchedules on a TimedClock, recording when each job fired and what was reported. */
function rig(start: string, spreadMs = 0): { time: TimedClock; js: JobSchedules; fired: string[]; reported: MirrorSchedule[] } {
  const time = new TimedClock(start);
  const fired: string[] = [];
  const reported: MirrorSchedule[] = [];
  const s: Scheduler = new Scheduler({
    clock: time,
    timers: time.timers,
    onDue: (name) => {
      fired.push(`${name}@${time.now().toISOString()}`);
      js.due(name);
    },
    onChange: (c) => reported.push(...c),
  });
  const js = new JobSchedules(s, time, createSilentLogger(), { spreadMs: () => spreadMs });
  return { time, js, fired, reported };
}

const keys = (k: Partial<ScheduleKeys>): ScheduleKeys => ({ cron: '', interval: 60, ...k });
const iso = (name: string, t: string): string => `${name}@${new Date(t).toISOString()}`;

describe('cron in a time zone', () => {
  it('America/New_York in March: "30 1 * * *" stays at 01:30 local as the offset goes from -5 to -4', () => {
    const { time, js, fired } = rig('2026-03-06T12:00:00Z');
    js.track('c', schedulePolicyFor(keys({ cron: '30 1 * * *', timezone: 'America/New_York' })));
    js.arm('c');
    time.runTo('2026-03-10T12:00:00Z');
    expect(fired).toEqual([
      iso('c', '2026-03-07T06:30:00Z'), // EST
      iso('c', '2026-03-08T06:30:00Z'), // the day of the change, before it (02:00)
      iso('c', '2026-03-09T05:30:00Z'), // EDT
      iso('c', '2026-03-10T05:30:00Z'),
    ]);
  });

  it('America/New_York in November: an hourly cron runs 25 times on the long day, 01:30 daily runs once', () => {
    const hourly = rig('2026-11-01T04:00:00Z'); // 00:00 EDT
    hourly.js.track('h', schedulePolicyFor(keys({ cron: '0 * * * *', timezone: 'America/New_York' })));
    hourly.js.arm('h');
    hourly.time.runTo('2026-11-02T05:00:00Z'); // 00:00 EST the next day
    // Every hour of the 25-hour day, the repeated 01:00 included, and the next midnight.
    expect(hourly.fired).toHaveLength(25);
    expect(hourly.fired.slice(0, 3)).toEqual([iso('h', '2026-11-01T05:00:00Z'), iso('h', '2026-11-01T06:00:00Z'), iso('h', '2026-11-01T07:00:00Z')]);
    expect(hourly.fired.at(-1)).toBe(iso('h', '2026-11-02T05:00:00Z'));

    const daily = rig('2026-10-31T12:00:00Z');
    daily.js.track('d', schedulePolicyFor(keys({ cron: '30 1 * * *', timezone: 'America/New_York' })));
    daily.js.arm('d');
    daily.time.runTo('2026-11-03T00:00:00Z');
    expect(daily.fired).toEqual([iso('d', '2026-11-01T05:30:00Z'), iso('d', '2026-11-02T06:30:00Z')]);
  });

  it('the same expression in another zone fires at that zone\'s times; without a zone, the host\'s', () => {
    const { time, js, fired } = rig('2026-11-30T00:00:00Z');
    js.track('sh', schedulePolicyFor(keys({ cron: '0 3 * * *', timezone: 'Asia/Shanghai' })));
    js.track('host', schedulePolicyFor(keys({ cron: '0 3 * * *' })));
    js.arm('sh');
    js.arm('host');
    time.run(24 * 3600_000);
    const hostThree = zonedToUtc(2026, 11, 30, 3, 0, Intl.DateTimeFormat().resolvedOptions().timeZone).toISOString();
    expect(fired).toEqual(expect.arrayContaining([iso('sh', '2026-11-30T19:00:00Z'), `host@${hostThree}`]));
  });
});

describe('fixed rate', () => {
  const fixed = keys({ interval: 60, intervalMode: 'fixed-rate', fixedRateAnchor: '00:15', timezone: 'UTC' });

  it('runs at anchor + k x interval; a run longer than the interval skips the slot it overran, not queues it', () => {
    const { time, js, fired, reported } = rig('2026-11-30T09:50:00Z');
    js.track('f', schedulePolicyFor(fixed), { ended: new Date('2026-11-30T09:40:00Z') });
    js.arm('f');
    expect(reported.at(-1)!.nextSchedule.toISOString()).toBe('2026-11-30T10:15:00.000Z');
    time.runTo('2026-11-30T10:15:00Z');
    expect(fired).toEqual([iso('f', '2026-11-30T10:15:00Z')]);
    // The run takes 90 minutes: the 11:15 slot passes while it is going.
    time.runTo('2026-11-30T11:45:00Z');
    expect(js.next('f')).toBeUndefined();
    js.ended('f');
    expect(js.next('f')!.toISOString()).toBe('2026-11-30T12:15:00.000Z');
    time.runTo('2026-11-30T12:15:00Z');
    // A short run: the next slot, not 60 minutes after its end.
    time.runTo('2026-11-30T12:20:00Z');
    js.ended('f');
    time.runTo('2026-11-30T13:30:00Z');
    expect(fired).toEqual([iso('f', '2026-11-30T10:15:00Z'), iso('f', '2026-11-30T12:15:00Z'), iso('f', '2026-11-30T13:15:00Z')]);
  });

  it('at start-up, one run at once when slots passed since the last run ended, else the next slot', () => {
    const p = schedulePolicyFor(fixed);
    const now = new Date('2026-11-30T12:00:00Z');
    expect(p.next({ ended: new Date('2026-11-30T08:00:00Z') }, now)).toEqual(now);
    expect(p.next({ ended: new Date('2026-11-30T11:20:00Z') }, now)!.toISOString()).toBe('2026-11-30T12:15:00.000Z');
    expect(p.next({}, now)).toEqual(now);
  });

  it('slots are wall-clock times in the zone when the interval divides a day (across a DST change)', () => {
    const p = schedulePolicyFor(keys({ interval: 360, intervalMode: 'fixed-rate', fixedRateAnchor: '00:30', timezone: 'America/New_York' }));
    let last = new Date('2026-03-07T23:00:00Z'); // 18:00 EST; the clocks go forward at 02:00 on 8 March
    const local: string[] = [];
    for (let i = 0; i < 6; i++) {
      last = p.next({ started: last, ended: last }, last)!;
      local.push(formatHHMM(last, 'America/New_York'));
    }
    expect(local).toEqual(['18:30', '00:30', '06:30', '12:30', '18:30', '00:30']);
    // 06:30 on 8 March is 06:30 EDT (10:30Z), not 6 hours after 00:30 EST (05:30Z + 6 h = 07:30 EDT).
    expect(p.next({ started: new Date('2026-03-08T05:30:00Z'), ended: new Date('2026-03-08T05:30:00Z') }, new Date('2026-03-08T05:30:00Z'))!.toISOString()).toBe('2026-03-08T10:30:00.000Z');
  });
});

describe('blackout windows', () => {
  it('parses daily and weekly windows and refuses malformed ones', () => {
    expect(parseBlackout('01:00-06:00')).toMatchObject({ start: 60, end: 360, period: 1440 });
    expect(parseBlackout('Sat 00:00-Sun 23:59')).toMatchObject({ start: 6 * 1440, end: 1439, period: 7 * 1440 });
    expect(parseBlackout('saturday 22:00-monday 01:00')).toMatchObject({ start: 6 * 1440 + 1320 });
    for (const bad of ['1-6', '25:00-06:00', '01:00-06:00-07:00', 'Sat 00:00-23:59', 'Xyz 01:00-Mon 02:00', '03:00-03:00']) {
      expect(typeof parseBlackout(bad)).toBe('string');
    }
  });

  it('a run due inside a window crossing midnight waits, then starts exactly at its end', () => {
    // Asia/Shanghai is UTC+8: the window is 15:00Z to 18:00Z.
    const { time, js, fired, reported } = rig('2026-11-30T15:00:00Z');
    js.track('b', schedulePolicyFor(keys({ interval: 30, timezone: 'Asia/Shanghai', blackout: ['23:00-02:00'] })), { ended: new Date('2026-11-30T14:50:00Z') });
    js.arm('b'); // due 15:20Z = 23:20 local, inside the window
    expect(reported.at(-1)!.nextSchedule.toISOString()).toBe('2026-11-30T18:00:00.000Z');
    time.runTo('2026-11-30T17:59:59.999Z');
    expect(fired).toEqual([]);
    time.run(1);
    expect(fired).toEqual([iso('b', '2026-11-30T18:00:00Z')]);
    expect(formatHHMM(time.now(), 'Asia/Shanghai')).toBe('02:00');
  });

  it('a weekly window over the weekend holds Saturday\'s runs until Sunday 23:59', () => {
    const b = new Blackouts([parseBlackout('Sat 00:00-Sun 23:59') as never], 'UTC');
    expect(b.endOf(new Date('2026-11-28T10:00:00Z'))!.toISOString()).toBe('2026-11-29T23:59:00.000Z'); // a Saturday
    expect(b.endOf(new Date('2026-11-27T10:00:00Z'))).toBeUndefined(); // a Friday
    expect(b.endOf(new Date('2026-11-29T23:59:00Z'))).toBeUndefined(); // the end is not inside
  });
});

describe('spread', () => {
  const names = Array.from({ length: 300 }, (_, i) => `mirror-${i}`);

  it('gives every mirror a distinct offset in the window, the same for the same names in any order', () => {
    const a = spreadOffsets(names, 300_000);
    const b = spreadOffsets([...names].reverse(), 300_000);
    expect([...a.entries()].sort()).toEqual([...b.entries()].sort());
    const secs = [...a.values()].map((ms) => Math.floor(ms / 1000));
    expect(new Set(secs).size).toBe(300); // one per second of five minutes
    expect(Math.min(...a.values())).toBeGreaterThanOrEqual(0);
    expect(Math.max(...a.values())).toBeLessThan(300_000);
    // A mirror keeps its place when the others do not change.
    expect(spreadOffsets(names, 300_000).get('mirror-7')).toBe(a.get('mirror-7'));
  });

  it('300 mirrors due at the same instant start over the window, never two in one second', () => {
    const { time, js, fired } = rig('2026-11-30T12:00:00Z', 300_000);
    for (const n of names) js.track(n, schedulePolicyFor(keys({ interval: 60 })));
    for (const n of names) js.arm(n);
    time.run(300_000);
    expect(fired).toHaveLength(300);
    const perSecond = new Map<string, number>();
    for (const f of fired) perSecond.set(f.slice(-24, -5), (perSecond.get(f.slice(-24, -5)) ?? 0) + 1);
    expect(Math.max(...perSecond.values())).toBe(1);
    // Later runs keep their place in the window: 60 minutes after each run ends, moved to the same offset.
    const first = new Map(fired.map((f) => [f.split('@')[0]!, Date.parse(f.split('@')[1]!)]));
    for (const n of names) js.ended(n);
    for (const n of names.slice(0, 5)) expect((js.next(n)!.getTime() - first.get(n)!) % 300_000).toBe(0);
  });

  it('parses durations and aligns to the window', () => {
    expect(parseDuration('10m')).toBe(600_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('0')).toBe(0);
    expect(parseDuration('ten minutes')).toBeUndefined();
    expect(parseDuration('10')).toBeUndefined();
    expect(alignToSpread(1_000, 600_000, 5_000)).toBe(5_000);
    expect(alignToSpread(5_000, 600_000, 5_000)).toBe(5_000);
    expect(alignToSpread(5_001, 600_000, 5_000)).toBe(605_000);
  });
});

describe('upstream hosts', () => {
  it('reads the host of every upstream form', () => {
    expect(upstreamHost('rsync://Mirror.Example.org:873/debian/')).toBe('mirror.example.org');
    expect(upstreamHost('https://pypi.org/simple/')).toBe('pypi.org');
    expect(upstreamHost('mirror.example.org::debian/')).toBe('mirror.example.org');
    expect(upstreamHost('user@mirror.example.org::debian/')).toBe('mirror.example.org');
    expect(upstreamHost('user@ssh.example.org:/srv/debian/')).toBe('ssh.example.org');
    expect(upstreamHost('rsync://[2001:db8::1]/debian/')).toBe('2001:db8::1');
    expect(upstreamHost('/srv/local/')).toBe('');
    expect(upstreamHost('')).toBe('');
  });
});
