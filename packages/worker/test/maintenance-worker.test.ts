/**
 * Maintenance mode reaching a real worker (issue 16): a worker learns it
 * from its heartbeat, keeps it in its state directory, and a worker
 * restarted during maintenance holds its startup run until the manager says
 * maintenance is off; a `start` by hand still runs; the gate's state file
 * drops a state whose `until` has passed.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import type { RunStartEvent } from '@tunasync/worker';
import { MaintenanceGate } from '@tunasync/worker';
import { captureLogger, createTestWorker, startTestManager, tempDir, until, type TestManager } from '@tunasync/testkit';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const MIRRORS = '[[mirrors]]\nname = "m1"\nprovider = "command"\ncommand = "true"\ninterval = 600\n';

async function worker(dir: string, m: TestManager) {
  const log = captureLogger();
  const w = await createTestWorker({ dir, apiBase: m.url, manager: { heartbeat_interval: 1 }, mirrors: MIRRORS, options: { logger: log.logger } });
  const starts: RunStartEvent[] = [];
  w.events.on('run:start', (e) => starts.push(e));
  let halted = false;
  const halt = async () => {
    if (!halted) await w.halt();
    halted = true;
  };
  cleanup.push(halt);
  return { w, log, starts, halt };
}

describe('maintenance mode on a real worker', () => {
  it('holds the startup run of a worker restarted during maintenance until the manager ends it; start by hand still runs', async () => {
    const t = tempDir('tunasync-maint-');
    cleanup.push(() => t.cleanup());
    const m = await startTestManager({ dir: t.dir });
    cleanup.push(() => m.close());
    expect((await m.call('POST', '/maintenance', { message: 'disk swap' })).status).toBe(200);

    const first = await worker(t.dir, m);
    await first.w.start();
    await until(() => (/maintenance mode on \(manager/.test(first.log.text()) ? true : undefined), 'the first worker learns maintenance');
    await first.halt();

    const second = await worker(t.dir, m);
    expect(second.log.text()).toMatch(/maintenance mode was on when this worker stopped/);
    await second.w.start();
    await until(() => (/scheduled run of m1 held/.test(second.log.text()) ? true : undefined), 'the startup run is held');
    expect(second.starts).toEqual([]);

    await second.w.command({ cmd: 'start', mirrorId: 'm1', args: [], options: {} });
    await until(() => (second.starts.length === 1 ? true : undefined), 'the manual start runs');
    expect(second.starts[0]).toMatchObject({ mirror: 'm1', trigger: 'manual' });

    expect((await m.call('DELETE', '/maintenance')).status).toBe(200);
    await until(() => (/maintenance mode off: 1 held scheduled run\(s\) start now/.test(second.log.text()) ? true : undefined), 'the held run is released');
    await until(() => (second.starts.length === 2 ? true : undefined), 'the held run starts');
  }, 60_000);

  it('drops a kept state whose until has passed', () => {
    const t = tempDir('tunasync-maint-');
    cleanup.push(() => t.cleanup());
    const file = join(t.dir, 'maintenance.json');
    writeFileSync(file, JSON.stringify({ 'http://m': { message: 'old', since: '2026-01-01T00:00:00Z', until: '2026-01-02T00:00:00Z' } }));
    const log = captureLogger();
    expect(new MaintenanceGate(log.logger, file, new Date('2026-01-03T00:00:00Z')).on).toBe(false);
    expect(new MaintenanceGate(log.logger, file, new Date('2026-01-01T12:00:00Z')).on).toBe(true);
  });
});
