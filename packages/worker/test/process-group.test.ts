import { afterEach, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { groupAlive, runInProcessGroup, splitShellWords } from '@tunasync/worker';
import { pidAlive, tempDir } from './helpers.js';

let cleanup: () => void = () => {};
afterEach(() => cleanup());

describe('splitShellWords', () => {
  it('splits like a shell without expanding', () => {
    expect(splitShellWords(`/bin/echo 'a b' "c \\"d\\" $HOME" e\\ f  g`)).toEqual(['/bin/echo', 'a b', 'c "d" $HOME', 'e f', 'g']);
    expect(splitShellWords('  ')).toEqual([]);
    expect(splitShellWords(`x '' ""`)).toEqual(['x', '', '']);
  });
  it('rejects unterminated quotes', () => {
    expect(() => splitShellWords(`echo 'oops`)).toThrow(/unterminated single quote/);
    expect(() => splitShellWords(`echo "oops`)).toThrow(/unterminated double quote/);
  });
});

describe('runInProcessGroup', () => {
  it('writes stdout and stderr straight to the log file and returns the exit code', async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const log = join(t.dir, 'run.log');
    const r = await runInProcessGroup(
      { argv: ['/bin/sh', '-c', 'echo out; echo err >&2; echo "$FOO"; exit 3'], cwd: t.dir, env: { FOO: 'bar' } },
      { logFile: log },
    );
    expect(r).toEqual({ exitCode: 3, signal: null });
    expect(readFileSync(log, 'utf8').split('\n').sort()).toEqual(['', 'bar', 'err', 'out']);
  });

  it('fails clearly when the program does not exist', async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    await expect(
      runInProcessGroup({ argv: ['/nonexistent/prog'], cwd: t.dir, env: {} }, { logFile: join(t.dir, 'l') }),
    ).rejects.toThrow(/cannot start \/nonexistent\/prog: .*ENOENT/);
  });

  it('abort kills the whole group, forked children included', async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const log = join(t.dir, 'run.log');
    const ac = new AbortController();
    let pgid = 0;
    const done = runInProcessGroup(
      // The child ignores SIGTERM: only SIGKILL after the grace period ends it.
      { argv: ['/bin/sh', '-c', `sh -c 'trap "" TERM; echo child $$; sleep 60' & wait`], cwd: t.dir, env: {} },
      { logFile: log, signal: ac.signal, graceMs: 300, onSpawn: (p) => (pgid = p) },
    );
    await waitForText(log, /child \d+/);
    const childPid = Number(/child (\d+)/.exec(readFileSync(log, 'utf8'))![1]);
    expect(pidAlive(childPid)).toBe(true);
    ac.abort();
    const r = await done;
    expect(r.signal === 'SIGTERM' || r.exitCode !== 0).toBe(true);
    expect(groupAlive(pgid)).toBe(false);
    expect(pidAlive(childPid)).toBe(false);
  });

  it('sweeps children the leader left behind when it exits', async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const log = join(t.dir, 'run.log');
    let pgid = 0;
    const r = await runInProcessGroup(
      { argv: ['/bin/sh', '-c', 'sleep 60 & echo bg $!; exit 0'], cwd: t.dir, env: {} },
      { logFile: log, graceMs: 300, onSpawn: (p) => (pgid = p) },
    );
    expect(r.exitCode).toBe(0);
    const bg = Number(/bg (\d+)/.exec(readFileSync(log, 'utf8'))![1]);
    expect(groupAlive(pgid)).toBe(false);
    expect(pidAlive(bg)).toBe(false);
  });
});

async function waitForText(file: string, re: RegExp, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    try {
      if (re.test(readFileSync(file, 'utf8'))) return;
    } catch {
      // not yet created
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${file} never matched ${re}`);
}
