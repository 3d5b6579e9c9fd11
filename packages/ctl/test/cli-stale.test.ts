/**
 * `tunasynctl stale` (issue 16), the built bin against a real manager whose
 * clock is a test clock: staleness is the manager's verdict (its clock, the
 * worker-reported stale_after and interval), printed as JSON when piped or
 * as plain lines, and the exit status is 1 when any mirror is stale. A
 * tunasync-like manager (plain-text 404) gets one clear line.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TestClock, serve, startTestManager, type Served, type TestManager } from '@tunasync/testkit';
import { NO_STALE_MESSAGE } from '@tunasync/ctl';
import { cleanEnv, ctl, tempDir, type CtlEnv } from './helpers.js';

const t = tempDir();
const clock = new TestClock('2026-11-21T06:00:00Z');
let manager: TestManager;
let tunasync: Served;
let env: CtlEnv;

const report = (name: string, status: string): Record<string, unknown> => ({
  name, worker: 'w1', is_master: true, status, last_update: '0001-01-01T00:00:00Z', last_started: '0001-01-01T00:00:00Z',
  last_ended: '0001-01-01T00:00:00Z', next_schedule: '0001-01-01T00:00:00Z', upstream: 'rsync://up/', size: '1G', error_msg: '',
});

beforeAll(async () => {
  manager = await startTestManager({ dir: t.dir, clock });
  tunasync = await serve((_req, res) => void res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found'));
  env = cleanEnv(t.dir);
  const ok = async (method: string, path: string, body: unknown): Promise<void> => {
    expect((await manager.call(method, path, body)).status).toBe(200);
  };
  await ok('POST', '/workers', { id: 'w1', url: 'http://127.0.0.1:1/', token: '', last_online: '0001-01-01T00:00:00Z', last_register: '0001-01-01T00:00:00Z' });
  await ok('POST', '/workers/w1/jobs/debian', report('debian', 'success'));
  await ok('POST', '/workers/w1/jobs/arch', report('arch', 'success'));
  await ok('POST', '/workers/w1/schedules', {
    schedules: [
      { name: 'debian', next_schedule: '2026-11-21T07:00:00Z', stale_after_s: 36 * 3600, interval_s: 3600 },
      { name: 'arch', next_schedule: '2026-11-21T07:00:00Z', interval_s: 16 * 3600 },
    ],
  });
});
afterAll(async () => {
  await manager.close();
  await tunasync.close();
  t.cleanup();
});

const stale = (...args: string[]) => ctl(['stale', '-m', '127.0.0.1', '-p', String(manager.port), ...args], env);

describe('tunasynctl stale', () => {
  it('nothing stale: [] and exit 0', async () => {
    expect(await stale()).toEqual({ code: 0, stdout: '[]\n', stderr: '' });
    expect(await stale('-o', 'lines')).toEqual({ code: 0, stdout: 'no stale mirrors\n', stderr: '' });
  });

  it('by the manager\'s clock: JSON when piped, plain lines with -o lines, exit 1', async () => {
    clock.advance(37 * 3600 * 1000);
    const r = await stale();
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual([
      { mirror: 'debian', worker: 'w1', last_success: '2026-11-21T06:00:00Z', stale_after_s: 129_600, reason: 'older_than_stale_after' },
    ]);
    clock.advance(2 * 3600 * 1000); // 39 h: past arch's 2 x 16 h + 6 h too
    const lines = await stale('-o', 'lines');
    expect(lines).toEqual({
      code: 1,
      stdout: 'arch on w1: last success 2026-11-21T06:00:00Z (stale after 38h)\ndebian on w1: last success 2026-11-21T06:00:00Z (stale after 36h)\n',
      stderr: '',
    });
  });

  it('against a manager without /stale: one line, exit 1', async () => {
    const r = await ctl(['stale', '-m', '127.0.0.1', '-p', String(tunasync.port)], env);
    expect(r).toEqual({ code: 1, stdout: '', stderr: `tunasynctl: ${NO_STALE_MESSAGE}\n` });
  });
});
