/**
 * Syncs survive a worker restart (issue 20), with real `tunasync-worker`
 * processes (the built bin: run `npx tsc -b` first), a real manager behind
 * a recording proxy, and real job scripts: with `keep_syncs_on_restart` a
 * SIGTERM (or a kill -9) leaves the sync running and the next worker adopts
 * it, one run with one run_id from start to end; with the key off the sync
 * is stopped (SIGTERM) or killed by the next worker (after a crash).
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { until } from '@tunasync/testkit';
import type { Cleanups } from './harness.js';
import { alive, at, jobScript, makeWorld, waitPid, type Body } from './adopt-helpers.js';

let cleanups: Cleanups = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

const KEEP = 'keep_syncs_on_restart = true';

/** A command mirror `job` running `script`, with a success hook appending to `hook.out`. */
const commandMirror = (script: string, extra = ''): ((dir: string) => string) => (dir) =>
  `[[mirrors]]\nname = "job"\nprovider = "command"\ncommand = "/bin/sh ${script}"\nretry = 1\nexec_on_success = ["/bin/sh -c 'echo ran >> ${dir}/hook.out'"]\n${extra}\n`;

const logText = (logDir: string): string =>
  readdirSync(join(logDir, 'job'))
    .filter((f) => f.startsWith('job_'))
    .map((f) => readFileSync(join(logDir, 'job', f), 'utf8'))
    .join('');

const statuses = (bodies: Body[]): string[] => bodies.map((b) => String(b.status));
const runIds = (bodies: Body[]): string[] => [...new Set(bodies.map((b) => String(b.run_id)))];

describe('keep_syncs_on_restart = true', () => {
  for (const how of ['SIGTERM', 'SIGKILL'] as const) {
    it(`a sync outlives a worker ended by ${how}: the next worker adopts it, one run, one run_id, the hook once`, async () => {
      const w = await makeWorld(cleanups, KEEP, (dir) => commandMirror(jobScript(dir, 'job', 8).script)(dir));
      const pidFile = join(w.dir, 'job.pid');
      const first = w.startWorker();
      const pid = await waitPid(pidFile, 'the job to write its pid');
      const t0 = Date.now();
      await w.waitReport('job', (b) => b.status === 'syncing', 'syncing');
      await at(t0, 2000);
      first.child.kill(how);
      const code = await first.exited;
      if (how === 'SIGTERM') expect(code).toBe(0);
      expect(alive(pid)).toBe(true);
      await at(t0, 4000);
      expect(alive(pid)).toBe(true);
      const second = w.startWorker();
      const done = await w.waitReport('job', (b) => b.status === 'success', 'the adopted run to succeed');
      const reports = w.reports('job');
      expect(runIds(reports)).toEqual([done.run_id]);
      expect(statuses(reports)[0]).toBe('pre-syncing');
      expect(statuses(reports).slice(1)).toEqual(expect.arrayContaining(['syncing']));
      expect(statuses(reports).filter((s) => s !== 'syncing')).toEqual(['pre-syncing', 'success']);
      expect(readFileSync(join(w.dir, 'hook.out'), 'utf8')).toBe('ran\n');
      expect(logText(w.logDir)).toContain(`start ${pid}\n`);
      expect(logText(w.logDir)).toContain(`end ${pid}\n`);
      const history = await w.manager.call('GET', '/jobs/job/history');
      expect(history.body.map((r: Body) => [r.run_id, r.result, r.exit_code])).toEqual([[done.run_id, 'success', 0]]);
      // Its duration counts from the original start, not from the adoption.
      expect(history.body[0].duration_s).toBeGreaterThanOrEqual(8);
      // The record is gone once the run ended.
      await until(async () => (existsSync(join(w.stateDir, 'runs', 'job.json')) ? undefined : true), 'the run record to be removed');
      second.child.kill('SIGINT');
      expect(await second.exited).toBe(0);
    }, 60_000);
  }
});
