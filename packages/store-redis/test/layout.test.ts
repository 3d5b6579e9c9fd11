/**
 * tunasync's Redis layout, compared byte for byte with what its manager
 * writes (manager/db.go: hashes `workers` and `mirror_status`, field
 * `<mirror>/<worker>`, Go's json.Marshal of its structs), and the wave-2
 * parts under our own keys.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { RedisFullStore } from '@tunasync/store-redis';
import { startTestRedis, until, type TestRedis } from '@tunasync/testkit';

let redis: TestRedis;
beforeAll(async () => {
  redis = await startTestRedis();
}, 30_000);
afterAll(async () => {
  await redis?.stop();
});
const open: RedisFullStore[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
  await redis.flush();
});
async function store(): Promise<RedisFullStore> {
  const s = new RedisFullStore(redis.url());
  open.push(s);
  await s.init();
  return s;
}

describe('RedisFullStore in tunasync’s layout', () => {
  it('writes workers and statuses exactly as tunasync’s manager does', async () => {
    const s = await store();
    await s.createWorker({ id: 'w1', url: 'http://w1:6000/', token: 'tok', lastOnline: new Date('2026-03-01T10:00:00.5Z'), lastRegister: new Date('0001-01-01T00:00:00Z') });
    await s.updateMirrorStatus('w1', 'debian', () => ({
      name: 'debian', worker: 'w1', isMaster: true, status: 'success',
      lastUpdate: new Date('2026-03-01T10:00:00.123Z'), lastStarted: new Date('2026-03-01T09:00:00Z'),
      lastEnded: new Date('2026-03-01T10:00:00.123Z'), nextSchedule: new Date('2026-03-01T11:00:00Z'),
      upstream: 'rsync://up/<debian>&', size: '1.5G', errorMsg: 'a < b',
    }));
    expect((await redis.cli('KEYS', '*')).split('\n').filter(Boolean).sort()).toEqual(['mirror_status', 'workers']);
    expect(await redis.cli('TYPE', 'workers')).toBe('hash\n');
    expect(await redis.cli('HGET', 'workers', 'w1')).toBe(
      '{"id":"w1","url":"http://w1:6000/","token":"tok","last_online":"2026-03-01T10:00:00.5Z","last_register":"0001-01-01T00:00:00Z"}\n',
    );
    expect(await redis.cli('HKEYS', 'mirror_status')).toBe('debian/w1\n');
    expect(await redis.cli('HGET', 'mirror_status', 'debian/w1')).toBe(
      '{"name":"debian","worker":"w1","is_master":true,"status":"success","last_update":"2026-03-01T10:00:00.123Z",' +
        '"last_started":"2026-03-01T09:00:00Z","last_ended":"2026-03-01T10:00:00.123Z","next_schedule":"2026-03-01T11:00:00Z",' +
        '"upstream":"rsync://up/\\u003cdebian\\u003e\\u0026","size":"1.5G","error_msg":"a \\u003c b"}\n',
    );
  });

  it('serves a Redis left by tunasync unchanged (nanoseconds, zone offsets) and keeps its bytes on reads', async () => {
    const goWorker = '{"id":"old","url":"http://old:6000/","token":"t0","last_online":"2026-03-01T18:00:00.123456789+08:00","last_register":"2026-02-01T08:00:00+08:00"}';
    const goStatus =
      '{"name":"ubuntu","worker":"old","is_master":true,"status":"failed","last_update":"2026-03-01T18:00:00.123456789+08:00",' +
      '"last_started":"2026-03-01T17:00:00+08:00","last_ended":"2026-03-01T18:00:00.5+08:00","next_schedule":"0001-01-01T00:00:00Z",' +
      '"upstream":"rsync://u/ubuntu/","size":"3T","error_msg":"rsync exited with code 23"}';
    await redis.cli('HSET', 'workers', 'old', goWorker);
    await redis.cli('HSET', 'mirror_status', 'ubuntu/old', goStatus);
    const s = await store();
    expect(await s.listWorkers()).toEqual([
      { id: 'old', url: 'http://old:6000/', token: 't0', lastOnline: new Date('2026-03-01T10:00:00.123Z'), lastRegister: new Date('2026-02-01T00:00:00Z') },
    ]);
    const [st] = await s.listAllMirrorStatus();
    expect(st).toMatchObject({ name: 'ubuntu', worker: 'old', status: 'failed', size: '3T', errorMsg: 'rsync exited with code 23', lastEnded: new Date('2026-03-01T10:00:00.5Z') });
    expect(await s.listMirrorStatus('old')).toHaveLength(1);
    expect(await s.countMirrorStatus('old')).toBe(1);
    expect(await redis.cli('HGET', 'mirror_status', 'ubuntu/old')).toBe(`${goStatus}\n`);
    expect(await redis.cli('HGET', 'workers', 'old')).toBe(`${goWorker}\n`);
    // A report merges into tunasync's entry (same field), as tunasync's manager would.
    await s.updateMirrorStatus('old', 'ubuntu', (prev) => ({ ...prev!, status: 'success' }));
    expect(await redis.cli('HLEN', 'mirror_status')).toBe('1\n');
    expect(JSON.parse(await redis.cli('HGET', 'mirror_status', 'ubuntu/old')).status).toBe('success');
  });

  it('keeps our own data under tunasync-ts: keys only', async () => {
    const s = await store();
    await s.updateMirrorStatus('w', 'm', (p) => ({ ...(p ?? ({} as never)), name: 'm', worker: 'w', isMaster: true, status: 'success', lastUpdate: new Date(0), lastStarted: new Date(0), lastEnded: new Date(0), nextSchedule: new Date(0), upstream: '', size: '', errorMsg: '' }), () => ({
      kind: 'close', runId: 'r1', matchOpen: false, at: new Date('2026-01-01T00:00:00Z'), result: 'success', trigger: 'schedule', errorMsg: '', size: '', durationS: 5,
    }));
    await s.acquireLease('notify', 'A', 60_000);
    await s.setMaintenance({ message: 'x' });
    await s.enqueueNotifications([{ receiver: 'r', dedupeKey: 'k', payload: '{}' }]);
    await s.setJobMeta('w', [{ mirror: 'm', intervalS: 60 }]);
    const keys = (await redis.cli('KEYS', '*')).split('\n').filter(Boolean);
    expect(keys.filter((k) => !k.startsWith('tunasync-ts:')).sort()).toEqual(['mirror_status']);
    expect(await s.getJobStats('w', 'm')).toMatchObject({ runsTotal: 1, lastResult: 'success', lastDurationS: 5 });
  });
});

describe('RedisFullStore wave-2 parts', () => {
  it('leases: one holder, renewals, taken over after expiry (Redis clock)', async () => {
    const a = await store();
    const b = await store();
    expect(await a.acquireLease('n', 'A', 60_000)).toBe(true);
    expect(await b.acquireLease('n', 'B', 60_000)).toBe(false);
    expect(await a.acquireLease('n', 'A', 60_000)).toBe(true);
    await b.releaseLease('n', 'B');
    expect(await b.acquireLease('n', 'B', 60_000)).toBe(false);
    await a.releaseLease('n', 'A');
    expect(await b.acquireLease('n', 'B', 1)).toBe(true);
    await until(async () => (await a.acquireLease('n', 'A', 60_000)) || undefined, 'A takes the expired lease');
  });

  it('notifications: dedupe, claim once, retry, dead, held; an expired claim comes due again', async () => {
    const s = await store();
    expect(await s.enqueueNotifications([
      { receiver: 'r', dedupeKey: 'a', payload: '1' },
      { receiver: 'r', dedupeKey: 'a', payload: 'dup' },
      { receiver: 'r', dedupeKey: 'b', payload: '2' },
      { receiver: 'r', dedupeKey: 'h', payload: '3', held: true },
    ])).toBe(3);
    const got = await s.claimNotifications('A', 10, 60_000);
    expect(got.map((n) => n.dedupeKey)).toEqual(['a', 'b']);
    expect(await s.claimNotifications('B', 10, 60_000)).toEqual([]);
    await s.finishNotification(got[0]!.id, { kind: 'delivered' });
    await s.finishNotification(got[1]!.id, { kind: 'retry', at: new Date(Date.now() - 1), error: 'boom' });
    const again = await s.claimNotifications('B', 10, 1);
    expect(again[0]).toMatchObject({ dedupeKey: 'b', attempts: 1, lastError: 'boom' });
    await until(async () => ((await s.claimNotifications('C', 10, 60_000)).length ? true : undefined), 'the expired claim is due again');
    await s.finishNotification(again[0]!.id, { kind: 'dead', error: 'x' });
    expect(await s.enqueueNotifications([{ receiver: 'r', dedupeKey: 'a', payload: '1' }])).toBe(0);
    expect((await s.takeHeldNotifications()).map((n) => n.dedupeKey)).toEqual(['h']);
    expect(await s.countNotifications()).toBe(0);
  });

  it('maintenance: on, off, and it ends by itself', async () => {
    const s = await store();
    expect(await s.getMaintenance()).toBeUndefined();
    const on = await s.setMaintenance({ message: 'm' });
    expect(await s.getMaintenance()).toEqual(on);
    expect(await s.clearMaintenance()).toBe(true);
    expect(await s.clearMaintenance()).toBe(false);
    await s.setMaintenance({ message: 'short', until: new Date(Date.now() + 50) });
    await until(async () => ((await s.getMaintenance()) === undefined ? true : undefined), 'maintenance ends');
  });

  it('concurrent reports from two stores lose no update', async () => {
    const a = await store();
    const b = await store();
    const bump = (s: RedisFullStore) =>
      s.updateMirrorStatus('w', 'c', (prev) => ({ name: 'c', worker: 'w', isMaster: true, status: 'success', lastUpdate: new Date(0), lastStarted: new Date(0), lastEnded: new Date(0), nextSchedule: new Date(0), upstream: '', errorMsg: '', size: String(Number(prev?.size || '0') + 1) }));
    await Promise.all(Array.from({ length: 40 }, (_, i) => bump(i % 2 ? a : b)));
    expect((await a.getMirrorStatus('w', 'c'))!.size).toBe('40');
  });
});
