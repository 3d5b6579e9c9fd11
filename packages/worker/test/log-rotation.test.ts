import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSilentLogger, type HookContext, type Provider } from '@tunasync/core';
import { KEPT_LOGS, LogRotationHook, runLogFile } from '@tunasync/worker';
import { tempDir } from './helpers.js';

let cleanup: () => void = () => {};
afterEach(() => cleanup());

/** The context the log rotation hook sees for a try of `name` logging into `logDir`. */
function context(name: string, logDir: string, logFile: string): HookContext {
  return {
    name,
    provider: { name, kind: 'command', upstream: '', run: async () => undefined } as Provider,
    workingDir: logDir,
    logDir,
    logFile,
    env: {},
    attempt: 0,
    stage: 'pre-exec',
    signal: new AbortController().signal,
    logger: createSilentLogger(),
  };
}

/** Writes `count` old logs named `<name>_2020-01-DD_00_00.log[suffix]` with increasing mtimes. */
function oldLogs(dir: string, name: string, count: number, suffix = ''): string[] {
  const files: string[] = [];
  for (let i = 0; i < count; i++) {
    const f = `${name}_2020-01-${String(i + 1).padStart(2, '0')}_00_00.log${suffix}`;
    writeFileSync(join(dir, f), 'old');
    utimesSync(join(dir, f), 1_600_000_000 + i, 1_600_000_000 + i);
    files.push(f);
  }
  return files;
}

describe('log rotation in a shared log_dir (issue 22)', () => {
  it("a run of debian leaves debian_cd's logs", async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const logDir = join(t.dir, 'log');
    mkdirSync(logDir);
    // debian_cd's logs are the oldest: a prefix match on "debian_" would prune them first.
    const theirs = [...oldLogs(logDir, 'debian_cd', 3), ...oldLogs(logDir, 'debian_cd', 2, '.fail').map((f) => f)];
    const ours = oldLogs(logDir, 'debian', 12).map((f, i) => {
      utimesSync(join(logDir, f), 1_700_000_000 + i, 1_700_000_000 + i);
      return f;
    });
    // Files that only look like ours are left too.
    const lookalikes = ['debian_notes.log', 'debian_2020-01-01_00_00.log.bak', 'debian_2020-1-1_0_0.log'];
    for (const f of lookalikes) writeFileSync(join(logDir, f), 'x');

    const logFile = runLogFile(logDir, 'debian', new Date(2026, 10, 30, 8, 0));
    await new LogRotationHook().preExec(context('debian', logDir, logFile));

    const left = readdirSync(logDir);
    for (const f of [...theirs, ...lookalikes]) expect(left).toContain(f);
    const debian = left.filter((f) => /^debian_\d{4}-\d\d-\d\d_\d\d_\d\d\.log(\.fail)?$/.test(f));
    expect(debian).toHaveLength(KEPT_LOGS);
    expect(debian).toContain('debian_2026-11-30_08_00.log');
    expect(debian).toContain(ours.at(-1));
    expect(debian).not.toContain(ours[0]);
  });
});
