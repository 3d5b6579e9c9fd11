import { afterEach, describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync, readFileSync, readlinkSync, writeFileSync, utimesSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ConcurrencySlots, KEPT_LOGS } from '@tunasync/worker';
import { collectStatuses, commandJob, mirrorsFrom, nextEvent, pidAlive, runOnce, tempDir } from './helpers.js';

let cleanup: () => void = () => {};
afterEach(() => cleanup());

function setup(): string {
  const t = tempDir();
  cleanup = t.cleanup;
  return t.dir;
}

function script(dir: string, name: string, body: string): string {
  const file = join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return file;
}

describe('MirrorJob with the command provider', () => {
  it('runs with the TUNASYNC_* environment and env, reports pre-syncing, syncing, success with the size', async () => {
    const dir = setup();
    const s = script(dir, 'sync.sh', 'env | grep -E "^(TUNASYNC_|FOO=)" | sort; pwd; echo "Total size is 1.5G"; echo "Total size is 2.5G"');
    const [m] = mirrorsFrom(dir, `[[mirrors]]\nname = "m1"\nprovider = "command"\nupstream = "https://up.example/"\ncommand = "${s}"\nsize_pattern = "Total size is ([0-9.]+[KMGTP]?)"\n[mirrors.env]\nFOO = "bar"\n`);
    const job = commandJob(m!);
    const statuses = await runOnce(job);
    expect(statuses.map((e) => [e.status, e.final])).toEqual([['pre-syncing', false], ['syncing', false], ['success', true]]);
    expect(statuses[2]!.size).toBe('2.5G');
    const logDir = join(dir, 'log', 'm1');
    const latest = readlinkSync(join(logDir, 'latest'));
    expect(latest).toMatch(/^m1_\d{4}-\d{2}-\d{2}_\d{2}_\d{2}\.log$/);
    const log = readFileSync(join(logDir, latest), 'utf8');
    expect(log).toContain('FOO=bar');
    expect(log).toContain('TUNASYNC_MIRROR_NAME=m1');
    expect(log).toContain(`TUNASYNC_WORKING_DIR=${join(dir, 'data', 'm1')}`);
    expect(log).toContain('TUNASYNC_UPSTREAM_URL=https://up.example/');
    expect(log).toContain(`TUNASYNC_LOG_DIR=${logDir}`);
    expect(log).toContain(`TUNASYNC_LOG_FILE=${join(logDir, latest)}`);
    expect(log).toContain(`\n${join(dir, 'data', 'm1')}\n`);
    expect(job.state).toBe('ready');
  });

  it('fail_on_match fails each try; retry tries are counted; logs renamed .fail', async () => {
    const dir = setup();
    const s = script(dir, 'sync.sh', 'echo "try"; echo "ERROR: bad thing"; echo "ERROR: worse"');
    const [m] = mirrorsFrom(dir, `[[mirrors]]\nname = "m2"\nprovider = "command"\ncommand = "${s}"\nfail_on_match = "^ERROR"\nretry = 3\n`);
    const statuses = await runOnce(commandJob(m!));
    expect(statuses.filter((e) => e.status === 'syncing')).toHaveLength(3);
    const failed = statuses.filter((e) => e.status === 'failed');
    expect(failed.map((e) => e.final)).toEqual([false, false, true]);
    expect(failed[0]!.errorMsg).toBe('Fail-on-match: 2');
    const logDir = join(dir, 'log', 'm2');
    expect(readlinkSync(join(logDir, 'latest'))).toMatch(/\.log\.fail$/);
    expect(readdirSync(logDir).some((f) => f.endsWith('.log.fail'))).toBe(true);
  });

  it('a non-zero exit fails unless it is a success exit code', async () => {
    const dir = setup();
    const s = script(dir, 'sync.sh', 'exit 7');
    const [bad, ok] = mirrorsFrom(
      dir,
      `[[mirrors]]\nname = "bad"\nprovider = "command"\ncommand = "${s}"\nretry = 1\n[[mirrors]]\nname = "ok"\nprovider = "command"\ncommand = "${s}"\nsuccess_exit_codes = [7]\n`,
    );
    const badStatuses = await runOnce(commandJob(bad!));
    expect(badStatuses.at(-1)).toMatchObject({ status: 'failed', errorMsg: 'exit status 7', final: true });
    const okStatuses = await runOnce(commandJob(ok!));
    expect(okStatuses.at(-1)).toMatchObject({ status: 'success', final: true });
  });

  it('runs exec_on_success / exec_on_failure with TUNASYNC_JOB_EXIT_STATUS', async () => {
    const dir = setup();
    const hook = script(dir, 'hook.sh', `echo "$TUNASYNC_MIRROR_NAME $TUNASYNC_JOB_EXIT_STATUS" >> ${dir}/hooks.txt`);
    const okCmd = script(dir, 'ok.sh', 'true');
    const failCmd = script(dir, 'fail.sh', 'exit 1');
    const [a, b] = mirrorsFrom(
      dir,
      `[[mirrors]]\nname = "a"\nprovider = "command"\ncommand = "${okCmd}"\n[[mirrors]]\nname = "b"\nprovider = "command"\ncommand = "${failCmd}"\nretry = 1\nexec_on_failure_extra = ["${hook}"]\n`,
      `exec_on_success = ["${hook}"]\nexec_on_failure = ["${hook}"]`,
    );
    await runOnce(commandJob(a!));
    await runOnce(commandJob(b!));
    // b runs the global failure hook and its _extra: twice.
    expect(readFileSync(join(dir, 'hooks.txt'), 'utf8')).toBe('a success\nb failure\nb failure\n');
  });

  it('a failing hook fails the run with "error exec hook <stage>"', async () => {
    const dir = setup();
    const okCmd = script(dir, 'ok.sh', 'true');
    const [m] = mirrorsFrom(dir, `[[mirrors]]\nname = "h"\nprovider = "command"\ncommand = "${okCmd}"\nexec_on_success = ["/bin/false"]\n`);
    const statuses = await runOnce(commandJob(m!));
    expect(statuses.at(-1)).toMatchObject({ status: 'failed', final: true });
    expect(statuses.at(-1)!.errorMsg).toMatch(/^error exec hook post-success: \/bin\/false exit status 1$/);
    expect(statuses.filter((e) => e.status === 'success')).toHaveLength(0);
  });

  it('timeout kills a script and the child it forked; no retry follows', async () => {
    const dir = setup();
    const s = script(dir, 'slow.sh', `sleep 120 & echo "child $!" > ${dir}/child.txt; wait`);
    const [m] = mirrorsFrom(dir, `[[mirrors]]\nname = "slow"\nprovider = "command"\ncommand = "${s}"\ntimeout = 1\nretry = 3\n`);
    const statuses = await runOnce(commandJob(m!));
    expect(statuses.filter((e) => e.status === 'syncing')).toHaveLength(1);
    expect(statuses.at(-1)).toMatchObject({ status: 'failed', errorMsg: 'timeout after 1s', final: true });
    const child = Number(/child (\d+)/.exec(readFileSync(join(dir, 'child.txt'), 'utf8'))![1]);
    expect(pidAlive(child)).toBe(false);
  });

  it('stop aborts the run, the job becomes paused and reports nothing more', async () => {
    const dir = setup();
    const s = script(dir, 'slow.sh', 'sleep 60');
    const [m] = mirrorsFrom(dir, `[[mirrors]]\nname = "st"\nprovider = "command"\ncommand = "${s}"\n`);
    const job = commandJob(m!);
    const statuses = collectStatuses(job);
    const syncing = nextEvent(job, 'status', (e) => e.status === 'syncing');
    await job.control('start');
    await syncing;
    const end = nextEvent(job, 'run-end');
    await job.control('stop');
    expect((await end).outcome).toBe('failed');
    expect(job.state).toBe('paused');
    expect(job.running).toBe(false);
    expect(statuses.map((e) => e.status)).toEqual(['pre-syncing', 'syncing']);
  });

  it('concurrency 1: two jobs never overlap; force start runs past the limit', async () => {
    const dir = setup();
    const s = script(dir, 'sync.sh', `echo "start $TUNASYNC_MIRROR_NAME $(date +%s%N)" >> ${dir}/trace; sleep 0.4; echo "end $TUNASYNC_MIRROR_NAME $(date +%s%N)" >> ${dir}/trace`);
    const toml = ['x', 'y', 'z'].map((n) => `[[mirrors]]\nname = "${n}"\nprovider = "command"\ncommand = "${s}"\n`).join('');
    const [x, y, z] = mirrorsFrom(dir, toml);
    const slots = new ConcurrencySlots(1);
    const jx = commandJob(x!, slots);
    const jy = commandJob(y!, slots);
    const ends = [nextEvent(jx, 'run-end'), nextEvent(jy, 'run-end')];
    await jx.control('start');
    await jy.control('start');
    await Promise.all(ends);
    const lines = readFileSync(join(dir, 'trace'), 'utf8').trim().split('\n').map((l) => l.split(' ')[0]);
    expect(lines).toEqual(['start', 'end', 'start', 'end']);

    // z waits behind x; forcing it starts it while x still holds the only slot.
    const jz = commandJob(z!, slots);
    const xSyncing = nextEvent(jx, 'status', (e) => e.status === 'syncing');
    const ends2 = [nextEvent(jx, 'run-end'), nextEvent(jz, 'run-end')];
    await jx.control('start');
    await xSyncing;
    const zSyncing = nextEvent(jz, 'status', (e) => e.status === 'syncing', 300);
    await jz.control('start');
    await expect(zSyncing).rejects.toThrow(/timed out/);
    const zForced = nextEvent(jz, 'status', (e) => e.status === 'syncing');
    await jz.control('force-start');
    await zForced;
    expect(slots.active).toBe(2);
    await Promise.all(ends2);
    expect(slots.active).toBe(0);
  });

  it('keeps only the newest ten logs of a mirror and leaves other mirrors alone', async () => {
    const dir = setup();
    const s = script(dir, 'ok.sh', 'echo hi');
    const [m] = mirrorsFrom(dir, `[[mirrors]]\nname = "r"\nprovider = "command"\ncommand = "${s}"\nlog_dir = "${dir}/logs"\n`);
    const logDir = join(dir, 'logs');
    mkdirSync(logDir, { recursive: true });
    for (let i = 0; i < 15; i++) {
      const f = join(logDir, `r_2020-01-${String(i + 1).padStart(2, '0')}_00_00.log`);
      writeFileSync(f, 'old');
      utimesSync(f, 1_600_000_000 + i, 1_600_000_000 + i);
    }
    writeFileSync(join(logDir, 'r-other_2020-01-01_00_00.log'), 'not ours');
    await runOnce(commandJob(m!));
    const ours = readdirSync(logDir).filter((f) => f.startsWith('r_'));
    expect(ours).toHaveLength(KEPT_LOGS);
    expect(ours).toContain('r_2020-01-15_00_00.log');
    expect(ours).not.toContain('r_2020-01-06_00_00.log');
    expect(existsSync(join(logDir, 'r-other_2020-01-01_00_00.log'))).toBe(true);
  });
});
