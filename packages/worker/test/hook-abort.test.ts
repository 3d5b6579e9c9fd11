import { afterEach, describe, expect, it } from '@jest/globals';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSilentLogger, systemClock, type Hook, type HookContext } from '@tunasync/core';
import { CommandProvider, ConcurrencySlots, LogRotationHook, MirrorJob, groupAlive, runInProcessGroup, runTool } from '@tunasync/worker';
import { collectStatuses, commandJob, mirrorsFrom, nextEvent, pidAlive, tempDir } from './helpers.js';

let cleanup: () => void = () => {};
afterEach(() => cleanup());

/**
 * A hook command that records its pid (the group's leader) and a
 * background child's pid, then waits 30 s: a group with two members.
 */
function longHook(dir: string): { script: string; pidFile: string; childFile: string } {
  const script = join(dir, 'long-hook.sh');
  const pidFile = join(dir, 'hook.pid');
  const childFile = join(dir, 'hook-child.pid');
  writeFileSync(script, `#!/bin/sh\nsleep 30 &\necho $! > "${childFile}"\necho $$ > "${pidFile}"\nwait\n`);
  chmodSync(script, 0o755);
  return { script, pidFile, childFile };
}

/** Resolves once `file` exists and holds a pid. */
async function pidFrom(file: string): Promise<number> {
  for (let i = 0; i < 2000; i++) {
    if (existsSync(file)) {
      const pid = Number(readFileSync(file, 'utf8').trim());
      if (pid > 0) return pid;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no pid in ${file}`);
}

/** Stops `job` while the hook is running; checks it returned long before the hook's 30 s and left no process. */
async function stopDuringHook(job: MirrorJob, files: { pidFile: string; childFile: string }): Promise<void> {
  const pgid = await pidFrom(files.pidFile);
  const child = await pidFrom(files.childFile);
  expect(groupAlive(pgid)).toBe(true);
  const began = Date.now();
  await job.control('stop');
  await job.idle();
  // The hook sleeps 30 s; a stop that waited for it would take that long.
  expect(Date.now() - began).toBeLessThan(15_000);
  expect(groupAlive(pgid)).toBe(false);
  expect(pidAlive(child)).toBe(false);
  expect(job.state).toBe('paused');
}

describe('hooks are aborted with their run (issue 13)', () => {
  it('a stop during a long exec_on_success kills its process group', async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const hook = longHook(t.dir);
    const [m] = mirrorsFrom(t.dir, `[[mirrors]]\nname = "a"\nprovider = "command"\ncommand = "/bin/true"\nexec_on_success = ["${hook.script}"]\n`);
    const job = commandJob(m!);
    const statuses = collectStatuses(job);
    await job.control('start');
    await stopDuringHook(job, hook);
    // Stopped runs report nothing more (as tunasync): no success, no failure.
    expect(statuses.map((s) => s.status)).toEqual(['pre-syncing', 'syncing']);
  });

  it('a stop during a long exec_on_failure kills its process group', async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const hook = longHook(t.dir);
    const [m] = mirrorsFrom(t.dir, `[[mirrors]]\nname = "a"\nprovider = "command"\ncommand = "/bin/false"\nretry = 1\nexec_on_failure = ["${hook.script}"]\n`);
    const job = commandJob(m!);
    await job.control('start');
    await stopDuringHook(job, hook);
  });

  it('a pre-exec hook gets the run signal: a stop kills the command it runs', async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const hook = longHook(t.dir);
    const ran = join(t.dir, 'provider-ran');
    const [m] = mirrorsFrom(t.dir, `[[mirrors]]\nname = "a"\nprovider = "command"\ncommand = "/bin/touch ${ran}"\n`);
    const seen: AbortSignal[] = [];
    const pre: Hook = {
      name: 'slow-pre',
      preExec: async (ctx: HookContext) => {
        seen.push(ctx.signal);
        const r = await runInProcessGroup({ argv: [hook.script], cwd: t.dir, env: {} }, { logFile: ctx.logFile, signal: ctx.signal, graceMs: 500 });
        if (r.exitCode !== 0) throw new Error(`slow-pre: killed by ${r.signal}`);
      },
    };
    const job = new MirrorJob({ mirror: m!, provider: new CommandProvider(m!), hooks: [new LogRotationHook(), pre], slots: new ConcurrencySlots(1), logger: createSilentLogger(), clock: systemClock, graceMs: 500 });
    const ended = nextEvent(job, 'run-end');
    await job.control('start');
    await stopDuringHook(job, hook);
    expect((await ended).outcome).toBe('failed');
    expect(seen).toHaveLength(1);
    expect(seen[0]!.aborted).toBe(true);
    expect(String((seen[0]!.reason as Error).message)).toBe('stopped by command');
    expect(existsSync(ran)).toBe(false);
  });

  it('skips exec_on_failure in a run that was stopped before it', async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const marker = join(t.dir, 'on-failure-ran');
    const [m] = mirrorsFrom(t.dir, `[[mirrors]]\nname = "a"\nprovider = "command"\ncommand = "/bin/sleep 30"\nexec_on_failure = ["/bin/touch ${marker}"]\n`);
    const job = commandJob(m!);
    const syncing = nextEvent(job, 'status', (e) => e.status === 'syncing');
    await job.control('start');
    await syncing;
    await job.control('stop');
    await job.idle();
    expect(existsSync(marker)).toBe(false);
  });

  it('runs exec_on_failure after a plain failure', async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const marker = join(t.dir, 'on-failure-ran');
    const [m] = mirrorsFrom(t.dir, `[[mirrors]]\nname = "a"\nprovider = "command"\ncommand = "/bin/false"\nretry = 1\nexec_on_failure = ["/bin/touch ${marker}"]\n`);
    const job = commandJob(m!);
    const ended = nextEvent(job, 'run-end');
    await job.control('start');
    expect((await ended).outcome).toBe('failed');
    expect(existsSync(marker)).toBe(true);
  });

  it('a tool a hook runs (zfs, btrfs) is killed when the run aborts', async () => {
    const c = new AbortController();
    const began = Date.now();
    const running = runTool(['sleep', '30'], { signal: c.signal });
    c.abort(new Error('stopped by command'));
    await expect(running).rejects.toThrow('sleep stopped: stopped by command');
    expect(Date.now() - began).toBeLessThan(15_000);
  });
});
