/**
 * Syncs survive a worker restart (issue 20), with real `tunasync-worker`
 * processes (the built bin: run `npx tsc -b` first), a real manager behind
 * a recording proxy, and real job scripts: with `keep_syncs_on_restart` a
 * SIGTERM (or a kill -9) leaves the sync running and the next worker adopts
 * it, one run with one run_id from start to end; with the key off the sync
 * is stopped (SIGTERM) or killed by the next worker (after a crash).
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { until } from '@tunasync/testkit';
import { processStartTime, RunRecords, type RunRecord } from '@tunasync/worker';
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

  it('a sync that ended while no worker ran is reported with its true result, under its own run_id', async () => {
    const w = await makeWorld(cleanups, KEEP, (dir) => commandMirror(jobScript(dir, 'job', 2, 3).script)(dir));
    const first = w.startWorker();
    const pid = await waitPid(join(w.dir, 'job.pid'), 'the job to write its pid');
    const syncing = await w.waitReport('job', (b) => b.status === 'syncing', 'syncing');
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    await until(async () => (alive(pid) ? undefined : true), 'the job to end with no worker running');
    const second = w.startWorker();
    const failed = await w.waitReport('job', (b) => b.status === 'failed', 'the ended run to be reported');
    expect(failed.run_id).toBe(syncing.run_id);
    expect(failed.error_msg).toBe('exit status 3');
    expect(failed.exit_code).toBe(3);
    expect(runIds(w.reports('job'))).toEqual([syncing.run_id]);
    // The remaining phases ran: post-fail renamed the log, the success hook did not run.
    await until(async () => (readdirSync(join(w.logDir, 'job')).some((f) => f.endsWith('.log.fail')) ? true : undefined), 'the log renamed .fail');
    expect(existsSync(join(w.dir, 'hook.out'))).toBe(false);
    expect(logText(w.logDir)).toContain(`end ${pid}\n`);
    second.child.kill('SIGINT');
    await second.exited;
  }, 60_000);

  it('a recorded pid now used by an unrelated process (another start time) is not adopted: the run is lost, the process untouched', async () => {
    const w = await makeWorld(cleanups, KEEP, (dir) => commandMirror(jobScript(dir, 'job', 0).script)(dir));
    const stranger = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
    cleanups.push(() => void stranger.kill('SIGKILL'));
    const pid = stranger.pid!;
    const start = processStartTime(pid)!;
    const records = new RunRecords(w.stateDir);
    const record: RunRecord = {
      version: 1,
      runId: 'run-before-restart',
      mirror: 'job',
      attempt: 1,
      trigger: 'schedule',
      started: new Date(Date.now() - 60_000).toISOString(),
      pid,
      pgid: pid,
      procStart: String(Number(start) - 100),
      logFile: join(w.logDir, 'job', 'job_2020-01-01_00_00.log'),
      deadline: null,
      provider: 'command',
      exec: 0,
    };
    records.write(record);
    const worker = w.startWorker();
    const lost = await w.waitReport('job', (b) => b.run_id === 'run-before-restart' && b.status === 'failed', 'the lost run to be reported');
    expect(lost.error_msg).toBe('lost while the worker was down');
    // The next run is scheduled and runs: a new run_id.
    const next = await w.waitReport('job', (b) => b.status === 'success', 'the next run');
    expect(next.run_id).not.toBe('run-before-restart');
    expect(alive(pid)).toBe(true);
    expect(processStartTime(pid)).toBe(start);
    worker.child.kill('SIGINT');
    await worker.exited;
  }, 60_000);

  it('the timeout fires at the deadline of the original start, not a new one after adoption', async () => {
    // The job would run 30 s: the timeout ends it.
    const w = await makeWorld(cleanups, KEEP, (dir) => commandMirror(jobScript(dir, 'job', 30).script, 'timeout = 4')(dir));
    const first = w.startWorker();
    const pid = await waitPid(join(w.dir, 'job.pid'), 'the job to write its pid');
    const t0 = Date.now();
    await w.waitReport('job', (b) => b.status === 'syncing', 'syncing');
    await at(t0, 1000);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    await at(t0, 2000);
    const second = w.startWorker();
    const adoptedAt = await until(async () => (second.output().includes('adopted run') ? Date.now() : undefined), 'adopted');
    const failed = await w.waitReport('job', (b) => b.status === 'failed', 'the timeout');
    const ended = Date.now();
    expect(failed.error_msg).toBe('timeout after 4s');
    expect(alive(pid)).toBe(false);
    // A timeout counted from the adoption would end 4 s after it at the earliest; the original deadline was 2 s after the restart.
    expect(ended - adoptedAt).toBeLessThan(4000);
    expect(logText(w.logDir)).not.toContain(`end ${pid}`);
    second.child.kill('SIGINT');
    await second.exited;
  }, 60_000);

  it('a stop sent to an adopted run kills its whole process group', async () => {
    // The job would run 30 s: the stop ends it.
    const w = await makeWorld(cleanups, KEEP, (dir) => commandMirror(jobScript(dir, 'job', 30, 0, `sleep 30 &\necho $! > ${dir}/child.pid`).script)(dir));
    const first = w.startWorker();
    const pid = await waitPid(join(w.dir, 'job.pid'), 'the job to write its pid');
    const child = await waitPid(join(w.dir, 'child.pid'), 'the job to start its child');
    await w.waitReport('job', (b) => b.status === 'syncing', 'syncing');
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect([alive(pid), alive(child)]).toEqual([true, true]);
    const second = w.startWorker();
    await until(async () => (w.reports('job').filter((b) => b.status === 'syncing').length >= 2 ? true : undefined), 'the adoption');
    await w.cmd('stop', 'job');
    await until(async () => (!alive(pid) && !alive(child) ? true : undefined), 'the job and its child to be killed', 10_000);
    const jobs = await w.manager.call('GET', '/workers/w1/jobs');
    expect(jobs.body.find((j: Body) => j.name === 'job').status).toBe('paused');
    second.child.kill('SIGINT');
    await second.exited;
  }, 60_000);
});

describe('keep_syncs_on_restart = false (the default)', () => {
  it('SIGTERM stops the sync, as tunasync does', async () => {
    const w = await makeWorld(cleanups, '', (dir) => commandMirror(jobScript(dir, 'job', 8).script)(dir));
    const first = w.startWorker();
    const pid = await waitPid(join(w.dir, 'job.pid'), 'the job to write its pid');
    await w.waitReport('job', (b) => b.status === 'syncing', 'syncing');
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(alive(pid)).toBe(false);
    expect(existsSync(join(w.stateDir, 'runs', 'job.json'))).toBe(false);
  }, 60_000);

  it('after a crash (kill -9) the next worker kills the sync it left before running the job again', async () => {
    // The job would run 30 s: the next worker kills it.
    const w = await makeWorld(cleanups, '', (dir) => commandMirror(jobScript(dir, 'job', 30).script)(dir));
    const pidFile = join(w.dir, 'job.pid');
    const first = w.startWorker();
    const pid = await waitPid(pidFile, 'the job to write its pid');
    const syncing = await w.waitReport('job', (b) => b.status === 'syncing', 'syncing');
    // The crash comes once the sync is recorded (the worker records it as it spawns it).
    await until(async () => (existsSync(join(w.stateDir, 'runs', 'job.json')) ? true : undefined), 'the run record');
    first.child.kill('SIGKILL');
    await first.exited;
    expect(alive(pid)).toBe(true);
    const second = w.startWorker();
    const killed = await w.waitReport('job', (b) => b.run_id === syncing.run_id && b.status === 'failed', 'the old run to be failed');
    expect(killed.error_msg).toBe('killed when the worker restarted (keep_syncs_on_restart is off)');
    const again = await until(async () => {
      const p = Number(readFileSync(pidFile, 'utf8'));
      return p !== pid && p > 0 ? p : undefined;
    }, 'the job to run again');
    // Never two copies: the old one was gone when the new one started.
    expect(alive(pid)).toBe(false);
    expect(again).not.toBe(pid);
    second.child.kill('SIGINT');
    await second.exited;
  }, 60_000);
});
