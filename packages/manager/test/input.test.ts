/**
 * Bad input: malformed JSON, wrong types, unknown status, name mismatches,
 * oversized bodies. Each is a 4xx with a message naming the problem, and
 * nothing is written. Unexpected errors are a logged 500 and the daemon
 * keeps serving.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { JobStore } from '@tunasync/core';
import { SqliteJobStore } from '@tunasync/manager';
import { call, startTestManager, statusBody, workerBody, type TestManager } from './helpers.js';

let m: TestManager;
let snapshot: () => Promise<string>;
beforeEach(async () => {
  m = await startTestManager();
  await call(m.url, 'POST', '/workers', { body: workerBody('w', 'http://w.local:6000/') });
  await call(m.url, 'POST', '/workers/w/jobs/a', { body: statusBody('w', 'a', 'success', { size: '1G' }) });
  m.clock.advance(60_000);
  snapshot = async () =>
    JSON.stringify({ w: await m.store.listWorkers(), j: await m.store.listAllMirrorStatus() });
});
afterEach(async () => {
  await m.close();
});

describe('4xx writes nothing', () => {
  const cases: [string, string, { body?: unknown; raw?: string }, number, RegExp][] = [
    ['malformed JSON', '/workers/w/jobs/a', { raw: '{"name": "a", ' }, 400, /^malformed JSON body/],
    ['a JSON string instead of an object', '/workers/w/jobs/a', { raw: '"a"' }, 400, /^malformed JSON body/],
    ['no body', '/workers/w/jobs/a', {}, 400, /invalid MirrorStatus/],
    ['an array body', '/workers/w/jobs/a', { body: [1] }, 400, /invalid MirrorStatus: must be object/],
    ['an unknown status', '/workers/w/jobs/a', { body: statusBody('w', 'a', 'exploded') }, 400, /status: must be one of "none"/],
    ['a wrongly typed field', '/workers/w/jobs/a', { body: statusBody('w', 'a', 'success', { is_master: 'yes' }) }, 400, /is_master: must be boolean/],
    ['a bad time', '/workers/w/jobs/a', { body: statusBody('w', 'a', 'success', { last_update: 'yesterday' }) }, 400, /last_update: "yesterday" is not an RFC 3339 time/],
    ['an empty job name', '/workers/w/jobs/a', { body: statusBody('w', '', 'success') }, 400, /^job name must not be empty$/],
    ['a body name differing from the URL', '/workers/w/jobs/a', { body: statusBody('w', 'b', 'success') }, 400, /job name "b" in the body does not match "a" in the URL/],
    ['a body worker differing from the URL', '/workers/w/jobs/a', { body: statusBody('other', 'a', 'success') }, 400, /worker "other" in the body does not match "w"/],
    ['set-size name mismatch', '/workers/w/jobs/a/size', { body: { name: 'b', size: '2G' } }, 400, /does not match/],
    ['set-size size of the wrong type', '/workers/w/jobs/a/size', { body: { name: 'a', size: 5 } }, 400, /size: must be string/],
    ['schedules not a list', '/workers/w/schedules', { body: { schedules: 'soon' } }, 400, /schedules: must be array,null/],
    ['a schedule with a bad time', '/workers/w/schedules', { body: { schedules: [{ name: 'a', next_schedule: '2026-13-01T00:00:00Z' }] } }, 400, /schedules\[0\]\.next_schedule/],
    ['a schedule without a name', '/workers/w/schedules', { body: { schedules: [{ next_schedule: '2026-12-01T00:00:00Z' }] } }, 400, /schedules\[0\]\.name: is required/],
    ['a worker without id', '/workers', { body: { url: 'http://x/' } }, 400, /id: is required/],
    ['a worker with an empty id', '/workers', { body: workerBody('') }, 400, /worker id must not be empty/],
    ['a worker with a non-http url', '/workers', { body: workerBody('x', 'file:///etc/passwd') }, 400, /url: .* must be http or https/],
    ['a worker with no url', '/workers', { body: workerBody('x', 'not a url') }, 400, /url: "not a url" is not a URL/],
    ['a command with a wrong option type', '/cmd', { body: { cmd: 'start', worker_id: 'w', options: { force: 'yes' } } }, 400, /options\.force: must be boolean/],
    ['a command without cmd', '/cmd', { body: { worker_id: 'w' } }, 400, /cmd: is required/],
  ];

  it.each(cases)('%s', async (_what, path, opts, status, message) => {
    const before = await snapshot();
    const r = await call(m.url, 'POST', path, opts);
    expect(r.status).toBe(status);
    expect(r.body.error).toMatch(message);
    expect(await snapshot()).toBe(before);
  });

  it('a body over 1 MiB is 413 and nothing is written', async () => {
    const before = await snapshot();
    const big = statusBody('w', 'a', 'success', { error_msg: 'x'.repeat(1024 * 1024 + 10) });
    const r = await call(m.url, 'POST', '/workers/w/jobs/a', { body: big });
    expect(r.status).toBe(413);
    expect(r.body.error).toMatch(/larger than 1048576 bytes/);
    expect(await snapshot()).toBe(before);
  });

  it('a body just under 1 MiB is accepted (its error_msg truncated to 4 KiB)', async () => {
    const r = await call(m.url, 'POST', '/workers/w/jobs/a', {
      body: statusBody('w', 'a', 'failed', { error_msg: 'y'.repeat(1024 * 1024 - 1000) }),
    });
    expect(r.status).toBe(200);
    expect((await m.store.getMirrorStatus('w', 'a'))?.errorMsg).toMatch(/^y{4000,} … \[truncated, 1047576 bytes in all\]$/);
  });

  it('a body without Content-Type is still read as JSON', async () => {
    const res = await fetch(`${m.url}/workers/w/jobs/a`, { method: 'POST', body: JSON.stringify(statusBody('w', 'a', 'syncing')) });
    expect(res.status).toBe(200);
    expect((await m.store.getMirrorStatus('w', 'a'))?.status).toBe('syncing');
  });

  it('accepts RFC 3339 with nanoseconds and offsets from Go', async () => {
    const r = await call(m.url, 'POST', '/workers/w/schedules', {
      body: { schedules: [{ name: 'a', next_schedule: '2026-11-21T14:03:09.123456789+08:00' }] },
    });
    expect(r.status).toBe(200);
    expect((await m.store.getMirrorStatus('w', 'a'))?.nextSchedule.toISOString()).toBe('2026-11-21T06:03:09.123Z');
  });
});

/** A store whose reads work and whose writes fail once, like a full disk. */
class FlakyStore extends SqliteJobStore {
  failNext = false;
  override async updateMirrorStatus(...args: Parameters<JobStore['updateMirrorStatus']>) {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('disk I/O error');
    }
    return super.updateMirrorStatus(...args);
  }
}

describe('unexpected errors', () => {
  it('are a logged 500 with a message, and the daemon keeps serving', async () => {
    const store = new FlakyStore(':memory:');
    const f = await startTestManager({ store });
    try {
      await call(f.url, 'POST', '/workers', { body: workerBody('w') });
      store.failNext = true;
      const r = await call(f.url, 'POST', '/workers/w/jobs/a', { body: statusBody('w', 'a', 'success') });
      expect(r.status).toBe(500);
      expect(r.body).toEqual({ error: 'internal error: disk I/O error', code: 'internal' });
      expect(f.lines.some((l) => l.includes('[error]') && l.includes('disk I/O error'))).toBe(true);
      const ok = await call(f.url, 'POST', '/workers/w/jobs/a', { body: statusBody('w', 'a', 'success') });
      expect(ok.status).toBe(200);
      expect((await call(f.url, 'GET', '/ping')).body).toEqual({ message: 'pong' });
    } finally {
      await f.close();
    }
  });
});
