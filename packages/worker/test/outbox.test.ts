/** The durable outbox: a journal on a real file, reopened as a new process would. */
import { afterEach, describe, expect, it } from '@jest/globals';
import { appendFileSync, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Outbox, outboxFile } from '@tunasync/worker';
import { tempDir } from './helpers.js';

let cleanup: () => void = () => {};
afterEach(() => cleanup());

function journal(): string {
  const t = tempDir('tunasync-outbox-');
  cleanup = t.cleanup;
  return join(t.dir, 'state', 'outbox', 'm.jsonl');
}

const status = (name: string, s: string) => ({ path: `/workers/w1/jobs/${name}`, body: { name, status: s }, what: `status of ${name}` });

describe('Outbox', () => {
  it('keeps unacknowledged messages across a reopen, in order', async () => {
    const file = journal();
    const a = new Outbox(file);
    a.push(status('x', 'pre-syncing'));
    a.push(status('x', 'syncing'));
    a.push(status('x', 'success'));
    a.ack();
    await a.close();
    const b = new Outbox(file);
    expect(b.recovery).toEqual({ replayed: 2, skippedLines: 0, skipped: [] });
    expect(b.size).toBe(2);
    expect(b.peek()?.body).toEqual({ name: 'x', status: 'syncing' });
    b.ack();
    expect(b.peek()?.body).toEqual({ name: 'x', status: 'success' });
    // New messages come after the replayed ones, with larger sequence numbers.
    const c = b.push(status('y', 'syncing'));
    expect(c.seq).toBeGreaterThan(b.peek()!.seq);
    await b.close();
    const d = new Outbox(file);
    expect([...Array(d.size)].map(() => { const m = d.peek()!; d.ack(); return (m.body as { name: string }).name; })).toEqual(['x', 'y']);
    await d.close();
  });

  it('is on disk once sync() resolves, and empty once drained', async () => {
    const file = journal();
    const o = new Outbox(file);
    o.push(status('x', 'syncing'));
    await o.sync();
    expect(readFileSync(file, 'utf8')).toContain('"status":"syncing"');
    o.ack();
    await o.sync();
    expect(statSync(file).size).toBe(0);
    await o.close();
  });

  it('skips a torn last line and reads the rest', async () => {
    const file = journal();
    const o = new Outbox(file);
    o.push(status('x', 'syncing'));
    await o.close();
    appendFileSync(file, '{"seq":9,"path":"/workers/w1/jo');
    const again = new Outbox(file);
    expect(again.recovery).toEqual({ replayed: 1, skippedLines: 1, skipped: [{ line: 2, why: 'not JSON (a torn write?)' }] });
    expect(again.peek()?.path).toBe('/workers/w1/jobs/x');
    // The journal was rewritten clean: a second reopen skips nothing.
    await again.close();
    expect(new Outbox(file).recovery).toEqual({ replayed: 1, skippedLines: 0, skipped: [] });
  });

  it('replaceQueued merges queued messages but never touches the oldest (in flight)', async () => {
    const file = journal();
    const o = new Outbox(file);
    o.push({ path: '/s', body: { schedules: ['a1'] }, what: 'schedules' });
    o.push(status('x', 'syncing'));
    o.push({ path: '/s', body: { schedules: ['b1'] }, what: 'schedules' });
    o.replaceQueued(
      (m) => m.what === 'schedules',
      (older) => ({ path: '/s', body: { schedules: [...older.flatMap((m) => (m.body as { schedules: string[] }).schedules), 'c1'] }, what: 'schedules' }),
    );
    await o.close();
    const r = new Outbox(file);
    const bodies: unknown[] = [];
    while (r.size > 0) {
      bodies.push(r.peek()!.body);
      r.ack();
    }
    expect(bodies).toEqual([{ schedules: ['a1'] }, { name: 'x', status: 'syncing' }, { schedules: ['b1', 'c1'] }]);
    await r.close();
  });

  it('serializes each message once, however often a queued schedules report is merged and replaced', async () => {
    const file = journal();
    const o = new Outbox(file);
    const schedules = (n: number) => ({ path: '/s', body: { schedules: Array.from({ length: n }, (_, i) => ({ name: `m${i}`, next_schedule: 1 })) }, what: 'schedules' });
    const real = JSON.stringify;
    const serialized: unknown[] = [];
    JSON.stringify = ((value: unknown, ...rest: [never, never]) => {
      if (typeof value === 'object' && value !== null && 'body' in value) serialized.push(value);
      return real(value, ...rest);
    }) as typeof JSON.stringify;
    try {
      o.push(status('x', 'syncing')); // the oldest, in flight: never replaced
      o.push(schedules(1));
      for (let i = 2; i <= 20; i++) o.replaceQueued((m) => m.what === 'schedules', () => schedules(i));
    } finally {
      JSON.stringify = real;
    }
    expect(serialized).toHaveLength(21);
    expect(new Set(serialized).size).toBe(21);
    await o.sync();
    // What is pending is counted right: acknowledging it all truncates the journal; reopened, it holds both.
    await o.close();
    const r = new Outbox(file);
    expect(r.size).toBe(2);
    expect((r.peek()!.body as { name: string }).name).toBe('x');
    r.ack();
    expect((r.peek()!.body as { schedules: unknown[] }).schedules).toHaveLength(20);
    r.ack();
    await r.sync();
    expect(statSync(file).size).toBe(0);
    await r.close();
  });

  it('compacts a journal that acknowledgements dominate', async () => {
    const file = journal();
    const o = new Outbox(file);
    o.push(status('keep', 'syncing'));
    o.push(status('keep', 'success'));
    const big = 'x'.repeat(2000);
    for (let i = 0; i < 300; i++) {
      o.push({ ...status('y', 'syncing'), body: { big } });
    }
    await o.sync();
    // Acknowledge all but the last, committing as a busy worker would: the journal is rewritten along the way.
    for (let i = 0; i < 301; i++) {
      o.ack();
      if (i % 10 === 0) await o.sync();
    }
    await o.sync();
    expect(o.size).toBe(1);
    // About 600 KB went through the journal; it is rewritten once acknowledgements
    // pass 256 KB and four times what is pending, so it never holds much more.
    expect(statSync(file).size).toBeLessThan(300 * 1024);
    await o.close();
    expect(new Outbox(file).size).toBe(1);
  });

  it('without a file it is memory only', async () => {
    const o = new Outbox(undefined);
    o.push(status('x', 'syncing'));
    expect(o.size).toBe(1);
    await o.close();
  });

  it('names one journal per manager under the state directory', async () => {
    const a = outboxFile('/var/log/tunasync/.tunasync-state/w1', 'http://127.0.0.1:14242');
    const b = outboxFile('/var/log/tunasync/.tunasync-state/w1', 'https://mgr.example.org:14242');
    expect(a).toMatch(/^\/var\/log\/tunasync\/\.tunasync-state\/w1\/outbox\/127\.0\.0\.1_14242-[0-9a-f]{8}\.jsonl$/);
    expect(b).not.toBe(a);
    expect(existsSync(a)).toBe(false);
  });
});

describe('Outbox group commit', () => {
  it('commits the records of one tick together and keeps their order', async () => {
    const file = journal();
    const o = new Outbox(file);
    for (let i = 0; i < 500; i++) o.push(status(`m${i}`, 'pre-syncing'));
    // Nothing was written synchronously.
    expect(statSync(file).size).toBe(0);
    await o.sync();
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(500);
    expect(lines.map((l) => (JSON.parse(l) as { body: { name: string } }).body.name)).toEqual(Array.from({ length: 500 }, (_, i) => `m${i}`));
    await o.close();
  });

  it('close() writes what was pushed in the same tick', async () => {
    const file = journal();
    const o = new Outbox(file);
    o.push(status('late', 'success'));
    await o.close();
    expect(new Outbox(file).peek()?.body).toEqual({ name: 'late', status: 'success' });
  });
});
