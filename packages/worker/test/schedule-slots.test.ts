/**
 * Who starts when jobs wait for a `concurrent` slot (issue 18): highest
 * priority first, then longest waiting, with aging so none starves; at most
 * `per_upstream_concurrent` runs per upstream host while other hosts run
 * alongside; blackout windows hold scheduled runs but not a start by hand.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestWorker, getJson, startTestManager, TestClock, tempDir, until } from '@tunasync/testkit';
import { ConcurrencySlots, type Release, type SlotTicket, type Worker } from '@tunasync/worker';
import { TimedClock } from './sched-time.js';

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

/** Queues `name` on `slots` with `ticket`; records the grant in `order` and keeps the release. */
function wait(slots: ConcurrencySlots, name: string, ticket: SlotTicket, order: string[], held: Map<string, Release>): void {
  void slots.forMirror(ticket).acquire(new AbortController().signal).slot.then((release) => {
    order.push(name);
    held.set(name, release!);
  });
}

const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('ConcurrencySlots order', () => {
  it('with concurrent = 1, three waiting jobs start by priority, then by how long they waited', async () => {
    const clock = new TestClock('2026-11-30T12:00:00Z');
    const slots = new ConcurrencySlots(1, { clock });
    const order: string[] = [];
    const held = new Map<string, Release>();
    wait(slots, 'holder', {}, order, held);
    clock.advance(1000);
    wait(slots, 'old-50', { priority: 50 }, order, held);
    clock.advance(1000);
    wait(slots, 'new-80', { priority: 80 }, order, held);
    clock.advance(1000);
    wait(slots, 'newer-50', { priority: 50 }, order, held);
    await settle();
    expect(order).toEqual(['holder']);
    expect(slots.waiting).toBe(3);
    for (const name of ['holder', 'new-80', 'old-50']) {
      held.get(name)!();
      await settle();
    }
    expect(order).toEqual(['holder', 'new-80', 'old-50', 'newer-50']);
  });

  it('ages waiters: a priority-0 job that waited long enough goes before a fresh priority-100 job', async () => {
    const clock = new TestClock('2026-11-30T12:00:00Z');
    const slots = new ConcurrencySlots(1, { clock, agingMs: 60_000 });
    const order: string[] = [];
    const held = new Map<string, Release>();
    wait(slots, 'holder', {}, order, held);
    wait(slots, 'low', { priority: 0 }, order, held);
    clock.advance(101 * 60_000); // 101 minutes: worth 101 points
    wait(slots, 'high', { priority: 100 }, order, held);
    await settle();
    held.get('holder')!();
    await settle();
    expect(order).toEqual(['holder', 'low']);
  });

  it('per upstream host: the second run on a host waits while another host starts alongside; overrides per host', async () => {
    const slots = new ConcurrencySlots(10);
    slots.setHostLimits(1, { 'big.example': 2 });
    const order: string[] = [];
    const held = new Map<string, Release>();
    wait(slots, 'a1', { host: 'a.example' }, order, held);
    wait(slots, 'a2', { host: 'a.example' }, order, held);
    wait(slots, 'b1', { host: 'b.example' }, order, held);
    wait(slots, 'big1', { host: 'big.example' }, order, held);
    wait(slots, 'big2', { host: 'big.example' }, order, held);
    wait(slots, 'big3', { host: 'big.example' }, order, held);
    wait(slots, 'local', {}, order, held);
    await settle();
    expect(order).toEqual(['a1', 'b1', 'big1', 'big2', 'local']);
    expect(slots.activeFor('a.example')).toBe(1);
    held.get('a1')!();
    await settle();
    expect(order.at(-1)).toBe('a2');
    // A forced start goes past the host limit.
    const forced = slots.forMirror({ host: 'big.example' }).acquire(new AbortController().signal);
    forced.bypass();
    expect(await forced.slot).toBeDefined();
    expect(slots.activeFor('big.example')).toBe(3);
  });
});

describe('a worker with concurrent = 1', () => {
  it('starts its waiting jobs by priority, then by age, each once the run before has ended', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const go = join(t.dir, 'go');
    // The first job holds the only slot until the test has seen the others queue.
    const holdCmd = `sh -c 'while [ ! -e ${go} ]; do sleep 0.02; done'`;
    const job = (name: string, priority: number, command = 'true'): string => `[[mirrors]]\nname = "${name}"\nprovider = "command"\ncommand = "${command.replace(/"/g, '\\"')}"\npriority = ${priority}\n`;
    const w: Worker = await createTestWorker({
      dir: t.dir,
      apiBase: 'http://127.0.0.1:9',
      global: { concurrent: 1 },
      mirrors: [job('hold', 50, holdCmd), job('a', 50), job('b', 90), job('c', 50), job('d', 10)].join(''),
      options: { registerWaitMs: 0, clock: new TestClock('2026-11-30T12:00:00Z') },
      strict: true,
    });
    cleanups.push(() => w.halt());
    const started: string[] = [];
    const ended: string[] = [];
    w.events.on('run:start', (e) => started.push(e.mirror));
    w.events.on('run:end', (e) => ended.push(e.mirror));
    await w.start();
    await until(() => ([...w.jobs.values()].every((j) => j.running) ? true : undefined), 'every job to be queued or running');
    expect(started).toEqual(['hold']);
    writeFileSync(go, '');
    await until(() => (ended.length === 5 ? true : undefined), 'all five runs to end');
    expect(started).toEqual(['hold', 'b', 'a', 'c', 'd']);
    // One at a time: each run started after the one before ended.
    expect(ended).toEqual(started);
    expect(existsSync(go)).toBe(true);
  });
});

describe('blackout windows in a worker', () => {
  it('hold the scheduled run until the window ends (reported as the next run) but not a start by hand', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const time = new TimedClock('2026-11-30T23:30:00Z');
    const w: Worker = await createTestWorker({
      dir: t.dir,
      apiBase: 'http://127.0.0.1:9',
      global: { timezone: 'UTC' },
      mirrors: `[[mirrors]]\nname = "m"\nprovider = "command"\ncommand = "true"\nblackout = ["23:00-01:30"]\n`,
      options: { registerWaitMs: 0, clock: time, timers: time.timers },
      strict: true,
    });
    cleanups.push(() => w.halt());
    const schedules: string[] = [];
    w.events.on('schedule', (e) => schedules.push(e.next.toISOString()));
    await w.start();
    expect(w.nextRun('m')!.toISOString()).toBe('2026-12-01T01:30:00.000Z');
    expect(schedules).toEqual(['2026-12-01T01:30:00.000Z']);
    const ends: string[] = [];
    w.events.on('run:end', (e) => ends.push(`${e.trigger}:${e.outcome}`));
    await w.command({ cmd: 'start', mirrorId: 'm', args: [], options: {} });
    await until(() => (ends.length === 1 ? true : undefined), 'the run started by hand to end');
    expect(ends).toEqual(['manual:success']);
  });
});

describe('the next run reported to the manager', () => {
  it('is the start the policy and the blackout window give (fixed rate slot 12:10 held to 13:00)', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const m = await startTestManager({ dir: t.dir });
    cleanups.push(() => m.close());
    const time = new TimedClock('2026-11-30T11:30:00Z');
    const w: Worker = await createTestWorker({
      dir: t.dir,
      apiBase: m.base,
      global: { timezone: 'UTC' },
      mirrors: `[[mirrors]]\nname = "m"\nprovider = "command"\ncommand = "true"\ninterval = 60\ninterval_mode = "fixed-rate"\nfixed_rate_anchor = "00:10"\nblackout = ["12:00-13:00"]\n`,
      options: { clock: time, timers: time.timers },
      strict: true,
    });
    cleanups.push(() => w.halt());
    await w.start();
    const ended: string[] = [];
    w.events.on('run:end', (e) => ended.push(e.outcome));
    await w.command({ cmd: 'start', mirrorId: 'm', args: [], options: {} });
    await until(() => (ended.length === 1 ? true : undefined), 'the run to end');
    expect(w.nextRun('m')!.toISOString()).toBe('2026-11-30T13:00:00.000Z');
    expect(await w.flushReports()).toBe(true);
    const jobs = (await getJson(`${m.base}/workers/w1/jobs`)) as Record<string, unknown>[];
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ name: 'm', status: 'success' });
    expect(new Date(jobs[0]!.next_schedule as string).toISOString()).toBe('2026-11-30T13:00:00.000Z');
  });
});
