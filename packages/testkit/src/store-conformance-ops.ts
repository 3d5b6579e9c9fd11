/**
 * The wave-2 operations part of the JobStore contract (issue 16): the
 * durable notification queue (dedupe, claims, outcomes, held items),
 * maintenance state and leases. Registered by describeJobStore. Times are
 * the store's clock (the database's for a shared store), so the checks
 * compare with wide margins or use times far in the past or future; expiry
 * is checked by waiting a few milliseconds past a 1 ms lifetime.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { expect, it } from '@jest/globals';
import type { JobStore } from '@tunasync/core';

const PAST = new Date('2000-01-01T00:00:00Z');
const FUTURE = new Date('2999-01-01T00:00:00Z');

const item = (key: string, extra: { receiver?: string; held?: boolean; nextAttemptAt?: Date } = {}) => ({
  receiver: extra.receiver ?? 'r1',
  dedupeKey: key,
  payload: JSON.stringify({ event: 'failed', key }),
  ...(extra.held !== undefined ? { held: extra.held } : {}),
  ...(extra.nextAttemptAt ? { nextAttemptAt: extra.nextAttemptAt } : {}),
});

/** Registers the queue, maintenance and lease tests; `reopen` checks they survive a restart. */
export function describeOpsStore(make: () => Promise<JobStore>, reopen?: (closed: JobStore) => Promise<JobStore>): void {
  it('queues a notification once per dedupe key, queued or already delivered', async () => {
    const s = await make();
    expect(await s.enqueueNotifications([item('a'), item('a'), item('b')])).toBe(2);
    expect(await s.enqueueNotifications([item('a')])).toBe(0);
    expect(await s.countNotifications()).toBe(2);
    const claimed = await s.claimNotifications('h1', 10, 60_000);
    expect(claimed.map((n) => n.dedupeKey)).toEqual(['a', 'b']);
    const a = claimed[0]!;
    expect(a).toMatchObject({ receiver: 'r1', payload: JSON.stringify({ event: 'failed', key: 'a' }), attempts: 0, held: false });
    expect(typeof a.id).toBe('string');
    await s.finishNotification(a.id, { kind: 'delivered' });
    await s.finishNotification(claimed[1]!.id, { kind: 'dead', error: 'gone' });
    expect(await s.countNotifications()).toBe(0);
    // Delivered and dead keys are remembered: the event does not fire again.
    expect(await s.enqueueNotifications([item('a'), item('b'), item('c')])).toBe(1);
  });

  it('claims only due, unheld, unclaimed items, oldest due first, up to the limit', async () => {
    const s = await make();
    await s.enqueueNotifications([item('later', { nextAttemptAt: FUTURE })]);
    await s.enqueueNotifications([item('held', { held: true })]);
    await s.enqueueNotifications([item('old', { nextAttemptAt: PAST })]);
    await s.enqueueNotifications([item('now1'), item('now2')]);
    const first = await s.claimNotifications('h1', 2, 60_000);
    expect(first.map((n) => n.dedupeKey)).toEqual(['old', 'now1']);
    // Claimed by h1: nobody else gets them while the claim lasts.
    const second = await s.claimNotifications('h2', 10, 60_000);
    expect(second.map((n) => n.dedupeKey)).toEqual(['now2']);
    expect(await s.claimNotifications('h2', 10, 60_000)).toEqual([]);
    expect(await s.countNotifications()).toBe(5);
  });

  it('lets a claim expire when its holder does not finish in time', async () => {
    const s = await make();
    await s.enqueueNotifications([item('x')]);
    expect(await s.claimNotifications('dead-holder', 10, 1)).toHaveLength(1);
    await sleep(30);
    const again = await s.claimNotifications('h2', 10, 60_000);
    expect(again.map((n) => n.dedupeKey)).toEqual(['x']);
  });

  it('records a retry: attempts, next attempt and error, then claimable when due', async () => {
    const s = await make();
    await s.enqueueNotifications([item('later'), item('due')]);
    const [later, due] = await s.claimNotifications('h1', 10, 60_000);
    await s.finishNotification(later!.id, { kind: 'retry', at: FUTURE, error: 'connection refused' });
    // A retry set in the past is due at once: finishing ends the claim.
    await s.finishNotification(due!.id, { kind: 'retry', at: PAST, error: 'HTTP 503' });
    const again = await s.claimNotifications('h2', 10, 60_000);
    expect(again).toHaveLength(1);
    expect(again[0]).toMatchObject({ dedupeKey: 'due', attempts: 1, lastError: 'HTTP 503' });
    expect(again[0]!.nextAttemptAt.getTime()).toBe(PAST.getTime());
    expect(await s.countNotifications()).toBe(2);
  });

  it('hands held items over once, oldest first, and never claims them', async () => {
    const s = await make();
    await s.enqueueNotifications([item('h1', { held: true })]);
    await s.enqueueNotifications([item('h2', { held: true, receiver: 'r2' }), item('free')]);
    expect((await s.claimNotifications('x', 10, 60_000)).map((n) => n.dedupeKey)).toEqual(['free']);
    const held = await s.takeHeldNotifications();
    expect(held.map((n) => [n.dedupeKey, n.receiver, n.held])).toEqual([
      ['h1', 'r1', true],
      ['h2', 'r2', true],
    ]);
    expect(await s.takeHeldNotifications()).toEqual([]);
    expect(await s.countNotifications()).toBe(1);
    expect(await s.enqueueNotifications([item('h1')])).toBe(0);
  });

  it('keeps maintenance state: on since now, off, and off by itself after until', async () => {
    const s = await make();
    expect(await s.getMaintenance()).toBeUndefined();
    expect(await s.clearMaintenance()).toBe(false);
    const on = await s.setMaintenance({ message: 'disk swap', until: FUTURE });
    expect(on.message).toBe('disk swap');
    expect(on.until?.getTime()).toBe(FUTURE.getTime());
    expect(Math.abs(on.since.getTime() - Date.now())).toBeLessThan(5 * 60_000);
    expect(await s.getMaintenance()).toEqual(on);
    expect(await s.clearMaintenance()).toBe(true);
    expect(await s.getMaintenance()).toBeUndefined();
    const open = await s.setMaintenance({ message: 'no end' });
    expect(open.until).toBeUndefined();
    expect(await s.getMaintenance()).toEqual(open);
    await s.setMaintenance({ message: 'over', until: new Date(Date.now() - 60_000) });
    expect(await s.getMaintenance()).toBeUndefined();
  });

  it('gives a lease to one holder at a time, renewable, released, expiring', async () => {
    const s = await make();
    expect(await s.acquireLease('notify', 'a', 60_000)).toBe(true);
    expect(await s.acquireLease('notify', 'b', 60_000)).toBe(false);
    expect(await s.acquireLease('notify', 'a', 60_000)).toBe(true);
    expect(await s.acquireLease('other', 'b', 60_000)).toBe(true);
    await s.releaseLease('notify', 'b');
    expect(await s.acquireLease('notify', 'b', 60_000)).toBe(false);
    await s.releaseLease('notify', 'a');
    expect(await s.acquireLease('notify', 'b', 1)).toBe(true);
    await sleep(30);
    expect(await s.acquireLease('notify', 'a', 60_000)).toBe(true);
    expect(await s.acquireLease('notify', 'b', 60_000)).toBe(false);
  });

  if (reopen) {
    it('keeps the queue, the remembered keys and maintenance across close and reopen', async () => {
      const s = await make();
      await s.enqueueNotifications([item('q1'), item('q2', { held: true })]);
      const [done] = await s.claimNotifications('h', 1, 60_000);
      await s.finishNotification(done!.id, { kind: 'delivered' });
      await s.setMaintenance({ message: 'kept', until: FUTURE });
      const again = await reopen(s);
      expect(await again.countNotifications()).toBe(1);
      expect(await again.enqueueNotifications([item('q1')])).toBe(0);
      expect((await again.takeHeldNotifications()).map((n) => n.dedupeKey)).toEqual(['q2']);
      expect(await again.getMaintenance()).toMatchObject({ message: 'kept', until: FUTURE });
    });
  }
}
