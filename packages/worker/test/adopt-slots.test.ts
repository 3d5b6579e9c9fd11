/**
 * An adopted sync holds a `concurrent` slot and is never started twice
 * (issue 20): a run recorded by a "previous worker" (a process group started
 * here through the exit status wrapper, as the worker starts them) is
 * adopted by a new worker with `concurrent = 1`; the other job waits for the
 * slot until the adopted sync has ended, and the adopted job's own command
 * never runs.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createTestWorker, startTestManager, tempDir, until } from '@tunasync/testkit';
import { processStartTime, RunRecords, runInProcessGroup, withExitStatusFile, type Worker } from '@tunasync/worker';
import type { Cleanups } from './harness.js';

let cleanups: Cleanups = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

describe('an adopted sync and the concurrency limit', () => {
  it('takes the only slot: the other job runs after it ended; the adopted job does not run a second copy', async () => {
    const t = tempDir('tunasync-adopt-slots-');
    cleanups.push(t.cleanup);
    const manager = await startTestManager();
    cleanups.push(() => manager.close());
    const stateDir = join(t.dir, 'state');
    const records = new RunRecords(stateDir);
    const logFile = join(t.dir, 'a.log');
    let pid = 0;
    const previous = runInProcessGroup(withExitStatusFile({ argv: ['sleep', '30'], cwd: t.dir, env: {} }, records.prepare('a')), {
      logFile,
      onSpawn: (p) => (pid = p),
    });
    await until(async () => (pid && processStartTime(pid) ? true : undefined), 'the previous sync to start');
    records.write({ version: 1, runId: 'adopted-run', mirror: 'a', attempt: 1, trigger: 'schedule', started: new Date().toISOString(), pid, pgid: pid, procStart: processStartTime(pid)!, logFile, deadline: null, provider: 'command', exec: 0 });

    const worker: Worker = await createTestWorker({
      dir: t.dir,
      apiBase: manager.base,
      global: { concurrent: 1, interval: 600, state_dir: stateDir, keep_syncs_on_restart: true, retry: 1 },
      mirrors: `[[mirrors]]\nname = "a"\nprovider = "command"\ncommand = "touch ${t.dir}/a.ran"\n[[mirrors]]\nname = "b"\nprovider = "command"\ncommand = "touch ${t.dir}/b.ran"\n`,
    });
    cleanups.push(() => worker.halt());
    const seen: string[] = [];
    worker.events.on('job:status', (e) => seen.push(`${e.mirror} ${e.status.status}`));
    await worker.start();
    expect(worker.jobs.get('a')!.currentRunId).toBe('adopted-run');
    // b is due at once (it never ran) and waits for the slot.
    await until(async () => (worker.jobs.get('b')!.running ? true : undefined), 'b to be queued');
    expect(seen).toEqual(['a syncing']);
    process.kill(-pid, 'SIGTERM'); // the adopted sync ends (failed: killed)
    await previous;
    await until(async () => (existsSync(join(t.dir, 'b.ran')) ? true : undefined), 'b to run');
    await until(async () => (seen.includes('b success') ? true : undefined), 'b to succeed');
    expect(seen.indexOf('a failed')).toBeGreaterThan(0);
    expect(seen.indexOf('b pre-syncing')).toBeGreaterThan(seen.indexOf('a failed'));
    expect(existsSync(join(t.dir, 'a.ran'))).toBe(false);
  }, 60_000);
});
