/**
 * Docker jobs across a worker restart (issue 20): a recorded run whose
 * Docker client is gone but whose container still runs is adopted by
 * container name (`docker inspect`, then `docker wait` for its exit code);
 * with keep_syncs_on_restart off the container is stopped instead. A stub
 * `docker` first on PATH records its argv and plays the container with a
 * local process. Runs the built bin (`npx tsc -b` first).
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { until } from '@tunasync/testkit';
import { dockerContainerName, RunRecords } from '@tunasync/worker';
import type { Cleanups } from './harness.js';
import { alive, makeWorld, type World } from './adopt-helpers.js';

let cleanups: Cleanups = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

/**
 * `docker` stub: records argv to `calls`; the container NAME is the process
 * whose pid is in `NAME.pid`: `inspect` says whether it runs, `wait` waits
 * for it and prints `NAME.exit`, `stop` kills it, `ps` finds nothing.
 */
const DOCKER = `#!/bin/sh
here=$(cd "$(dirname "$0")" && pwd)
echo "$*" >> "$here/calls"
case "$1" in
inspect) pid=$(cat "$here/$4.pid" 2>/dev/null) && kill -0 "$pid" 2>/dev/null && echo true || echo false ;;
wait) pid=$(cat "$here/$2.pid"); while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done; cat "$here/$2.exit" ;;
stop) kill -TERM "$(cat "$here/$4.pid")"; echo "$4" ;;
ps) exit 0 ;;
*) echo "stub docker: unsupported $*" >&2; exit 2 ;;
esac
`;

const NAME = dockerContainerName('dk');

/** A world with a docker mirror `dk`, a recorded run of it whose client is gone, and its "container" running. */
async function dockerWorld(keep: boolean): Promise<{ w: World; bin: string; container: number; runId: string }> {
  let bin = '';
  const w = await makeWorld(cleanups, keep ? 'keep_syncs_on_restart = true' : '', (dir) => {
    bin = join(dir, 'bin');
    return `[docker]\nenable = true\n[[mirrors]]\nname = "dk"\nprovider = "command"\ncommand = "true"\ndocker_image = "alpine:3"\nretry = 1\nenv = { PATH = "${bin}:${process.env.PATH}" }\n`;
  });
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'docker'), DOCKER);
  chmodSync(join(bin, 'docker'), 0o755);
  const box = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
  cleanups.push(() => void box.kill('SIGKILL'));
  writeFileSync(join(bin, `${NAME}.pid`), `${box.pid}\n`);
  writeFileSync(join(bin, `${NAME}.exit`), '0\n');
  // A client that is gone: a pid no process has (a finished child's).
  const gone = spawn('true');
  await new Promise((r) => gone.once('exit', r));
  const runId = 'docker-run-before-restart';
  new RunRecords(w.stateDir).write({
    version: 1,
    runId,
    mirror: 'dk',
    attempt: 1,
    trigger: 'schedule',
    started: new Date().toISOString(),
    pid: gone.pid!,
    pgid: gone.pid!,
    procStart: '1',
    logFile: join(w.logDir, 'dk', 'dk_2026-01-01_00_00.log'),
    deadline: null,
    provider: 'command',
    exec: 0,
    container: NAME,
  });
  return { w, bin, container: box.pid!, runId };
}

const calls = (bin: string): string[] => (existsSync(join(bin, 'calls')) ? readFileSync(join(bin, 'calls'), 'utf8').trim().split('\n') : []);

describe('docker jobs across a restart', () => {
  it('keep_syncs_on_restart: a container whose client is gone is adopted by name and its exit code ends the run', async () => {
    const { w, bin, container, runId } = await dockerWorld(true);
    const worker = w.startWorker();
    await until(async () => (worker.output().includes(`run ${runId} of dk`) ? true : undefined), 'the adoption');
    expect(worker.output()).toContain(`run ${runId} of dk (pid `);
    expect(worker.output()).toMatch(/\): container\n/);
    await w.waitReport('dk', (b) => b.run_id === runId && b.status === 'syncing', 'the adopted run to be syncing');
    // The container ends (exit code 0 in the stub's .exit file).
    process.kill(container, 'SIGTERM');
    const done = await w.waitReport('dk', (b) => b.run_id === runId && b.status === 'success', 'the container run to succeed');
    expect(done.exit_code).toBe(0);
    expect(calls(bin)).toEqual(expect.arrayContaining([`inspect -f {{.State.Running}} ${NAME}`, `wait ${NAME}`]));
    expect(calls(bin).some((c) => c.startsWith('run ') || c.startsWith('stop '))).toBe(false);
    worker.child.kill('SIGINT');
    await worker.exited;
  }, 60_000);

  it('keep_syncs_on_restart off: the container left running is stopped and its run failed', async () => {
    const { w, bin, container, runId } = await dockerWorld(false);
    const worker = w.startWorker();
    const failed = await w.waitReport('dk', (b) => b.run_id === runId && b.status === 'failed', 'the run to be failed');
    expect(failed.error_msg).toBe('killed when the worker restarted (keep_syncs_on_restart is off)');
    await until(async () => (alive(container) ? undefined : true), 'the container to be stopped');
    expect(calls(bin)).toContain(`stop -t 2 ${NAME}`);
    worker.child.kill('SIGINT');
    await worker.exited;
  }, 60_000);
});
