/**
 * The parts syncs that outlive the worker rest on (issue 20): the
 * `keep_syncs_on_restart` key as the worker's config check takes it, the
 * exit status wrapper around a real process group, and the run records.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { builtBin, runScript, tempDir } from '@tunasync/testkit';
import { parseWorkerConfig } from '@tunasync/core';
import { parseExitStatus, runInProcessGroup, RunRecords, withExitStatusFile } from '@tunasync/worker';

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.reverse()) c();
  cleanups = [];
});

function dir(): string {
  const t = tempDir('tunasync-adopt-parts-');
  cleanups.push(t.cleanup);
  return t.dir;
}

const conf = (d: string, line: string): string =>
  `[global]\nname = "w"\nlog_dir = "${d}/log/{{.Name}}"\nmirror_dir = "${d}/data"\n${line}\n[manager]\napi_base = "http://127.0.0.1:9"\n[[mirrors]]\nname = "a"\nprovider = "command"\ncommand = "true"\n`;

describe('[global] keep_syncs_on_restart', () => {
  it('is false by default and true when set', () => {
    const d = dir();
    expect(parseWorkerConfig(conf(d, ''), join(d, 'w.conf')).config.global.keepSyncsOnRestart).toBe(false);
    expect(parseWorkerConfig(conf(d, 'keep_syncs_on_restart = true'), join(d, 'w.conf')).config.global.keepSyncsOnRestart).toBe(true);
  });

  it('a value that is not a boolean refuses the start (and --dry-run), naming the file and key', async () => {
    const d = dir();
    const file = join(d, 'worker.conf');
    writeFileSync(file, conf(d, 'keep_syncs_on_restart = "yes"'));
    for (const extra of [[], ['--dry-run']]) {
      const r = await runScript(builtBin('worker'), ['-c', file, ...extra], { timeoutMs: 30_000 });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(file);
      expect(r.stderr).toContain('global.keep_syncs_on_restart');
    }
  }, 60_000);
});

describe('the exit status wrapper', () => {
  it('writes the command\'s exit code, and the worker waiting sees the same exit', async () => {
    const d = dir();
    const status = join(d, 'st');
    const log = join(d, 'log');
    const r = await runInProcessGroup(withExitStatusFile({ argv: ['sh', '-c', 'echo out; exit 3'], cwd: d, env: {} }, status), { logFile: log });
    expect(r).toEqual({ exitCode: 3, signal: null });
    expect(readFileSync(status, 'utf8')).toBe('3\n');
    expect(readFileSync(log, 'utf8')).toBe('out\n');
  });

  it('a command killed by a signal: the wrapper dies of the same signal and records it', async () => {
    const d = dir();
    const status = join(d, 'st');
    const r = await runInProcessGroup(withExitStatusFile({ argv: ['sh', '-c', 'kill -KILL $$'], cwd: d, env: {} }, status), { logFile: join(d, 'log') });
    expect(r).toEqual({ exitCode: null, signal: 'SIGKILL' });
    expect(parseExitStatus(readFileSync(status, 'utf8'))).toEqual({ exitCode: null, signal: 'SIGKILL' });
  });

  it('a stop (SIGTERM to the group): the command gets SIGTERM, its own exit code is kept and recorded', async () => {
    const d = dir();
    const status = join(d, 'st');
    for (const [argv, exit, recorded] of [
      [['sleep', '30'], { exitCode: null, signal: 'SIGTERM' }, '143\n'],
      [['sh', '-c', 'trap "exit 124" TERM; sleep 30 & wait'], { exitCode: 124, signal: null }, '124\n'],
    ] as const) {
      const ctl = new AbortController();
      const running = runInProcessGroup(withExitStatusFile({ argv: [...argv], cwd: d, env: {} }, status), { logFile: join(d, 'log'), signal: ctl.signal, graceMs: 5000 });
      setTimeout(() => ctl.abort(), 300);
      expect(await running).toEqual(exit);
      expect(readFileSync(status, 'utf8')).toBe(recorded);
    }
  });
});

describe('run records', () => {
  it('lists whole records, and names unreadable ones apart', () => {
    const d = dir();
    const records = new RunRecords(d);
    records.write({ version: 1, runId: 'r1', mirror: 'a', attempt: 1, trigger: 'schedule', started: new Date(0).toISOString(), pid: 1, pgid: 1, procStart: '1', logFile: '/l', deadline: null, provider: 'command', exec: 0 });
    writeFileSync(join(records.dir, 'b.json'), '{"version":1,');
    const { records: found, bad } = records.list();
    expect(found.map((r) => [r.mirror, r.runId])).toEqual([['a', 'r1']]);
    expect(bad).toEqual([join(records.dir, 'b.json')]);
    records.remove('a');
    expect(records.list().records).toEqual([]);
  });

  it('reads exit statuses: codes, and signals above 128', () => {
    expect(parseExitStatus('0\n')).toEqual({ exitCode: 0, signal: null });
    expect(parseExitStatus('23\n')).toEqual({ exitCode: 23, signal: null });
    expect(parseExitStatus('143\n')).toEqual({ exitCode: null, signal: 'SIGTERM' });
    expect(parseExitStatus('')).toBeUndefined();
  });
});
