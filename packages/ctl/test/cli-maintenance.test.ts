/**
 * `tunasynctl maintenance on|off|status`, the built bin against a real
 * manager (admin token), and against a tunasync-like manager (plain-text
 * 404): one line, exit 1.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { serve, type Served } from '@tunasync/testkit';
import { untilTime } from '@tunasync/ctl';
import { cleanEnv, ctl, hasStack, startTestManager, tempDir, type CtlEnv, type TestManager } from './helpers.js';

const t = tempDir();
let m: TestManager;
let tunasync: Served;
let env: CtlEnv;
let at: string[];

beforeAll(async () => {
  m = await startTestManager(t.dir, { auth: { adminTokens: ['adm'] } });
  tunasync = await serve((_req, res) => res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found'));
  env = cleanEnv(t.dir);
  at = ['-m', '127.0.0.1', '-p', String(m.port), '--token', 'adm'];
});
afterAll(async () => {
  await m.close();
  await tunasync.close();
  t.cleanup();
});

describe('tunasynctl maintenance', () => {
  it('switches maintenance on with a message and an end, shows it, and switches it off', async () => {
    const on = await ctl(['maintenance', 'on', '--message', 'disk swap', '--until', '2h', ...at], env);
    expect(on.stderr).toBe('');
    expect(on.code).toBe(0);
    expect(on.stdout).toMatch(/^maintenance mode is on since \S+ until \S+: disk swap\n$/);
    const state = (await m.call('GET', '/maintenance')).body as { enabled: boolean; until: string };
    expect(state.enabled).toBe(true);
    expect(Math.abs(Date.parse(state.until) - Date.now() - 2 * 3600_000)).toBeLessThan(60_000);
    const status = await ctl(['maintenance', 'status', '-o', 'json', ...at], env);
    expect(JSON.parse(status.stdout)).toMatchObject({ enabled: true, message: 'disk swap' });
    const off = await ctl(['maintenance', 'off', ...at], env);
    expect(off.stdout).toBe('maintenance mode is off\n');
    expect((await ctl(['maintenance', 'status', ...at], env)).stdout).toBe('maintenance mode is off\n');
  }, 120_000);

  it('refuses on without a message, a bad --until, and an unknown action, before any request', async () => {
    const none = await ctl(['maintenance', 'on', ...at], env);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/needs a message: --message/);
    const bad = await ctl(['maintenance', 'on', '-M', 'x', '--until', 'tomorrow', ...at], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--until "tomorrow" is neither/);
    expect(hasStack(bad.stderr)).toBe(false);
    expect((await ctl(['maintenance', 'sideways', ...at], env)).code).not.toBe(0);
    expect((await m.call('GET', '/maintenance')).body).toEqual({ enabled: false });
  }, 120_000);

  it('needs an admin token to change it', async () => {
    const r = await ctl(['maintenance', 'on', '-M', 'x', '-m', '127.0.0.1', '-p', String(m.port)], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/token/);
  });

  it('says the manager has no maintenance mode against tunasync\'s manager', async () => {
    const r = await ctl(['maintenance', 'status', '-m', '127.0.0.1', '-p', String(tunasync.port)], env);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/no maintenance mode \(tunasync's manager\?\)/);
  });

  it('reads --until as RFC 3339 or a duration from now', () => {
    const now = new Date('2026-11-30T10:00:00Z');
    expect(untilTime('90m', now)).toBe('2026-11-30T11:30:00.000Z');
    expect(untilTime('2026-12-01T06:00:00+08:00', now)).toBe('2026-11-30T22:00:00.000Z');
  });
});
