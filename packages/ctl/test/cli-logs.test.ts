/**
 * `tunasynctl logs` and `start|restart --wait` (issue 15): the built bin
 * against a real manager and a real worker running command jobs.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSilentLogger, loadWorkerConfig } from '@tunasync/core';
import { createWorker, type Worker } from '@tunasync/worker';
import { cleanEnv, ctl, startTestManager, tempDir, type CtlEnv, type TestManager } from './helpers.js';

const t = tempDir();
let m: TestManager;
let w: Worker;
let env: CtlEnv;
let at: string[];

// Jobs run only when told: their cron falls on New Year's midnight.
const mirror = (name: string, command: string): string =>
  `[[mirrors]]\nname = "${name}"\nprovider = "command"\ncommand = "${command}"\ncron = "0 0 1 1 *"\nretry = 1\nupstream = "https://upstream.example/${name}/"\n`;

beforeAll(async () => {
  m = await startTestManager(t.dir);
  env = cleanEnv(t.dir);
  at = ['-m', '127.0.0.1', '-p', String(m.port)];
  writeFileSync(join(t.dir, 'good.sh'), '#!/bin/sh\nfor i in 1 2 3; do echo "fetching part $i"; sleep 0.1; done\necho done\n', { mode: 0o755 });
  writeFileSync(join(t.dir, 'bad.sh'), '#!/bin/sh\necho "connecting upstream"\nsleep 0.2\necho "rsync error: timeout in data send/receive (code 30)"\nexit 30\n', { mode: 0o755 });
  const conf = join(t.dir, 'worker.conf');
  writeFileSync(
    conf,
    `[global]\nname = "w1"\nlog_dir = "${t.dir}/log/{{.Name}}"\nmirror_dir = "${t.dir}/data"\nconcurrent = 2\n` +
      `[manager]\napi_base = "${m.url}"\n[server]\nhostname = "127.0.0.1"\nlisten_addr = "127.0.0.1"\nlisten_port = 0\n` +
      mirror('good', `${t.dir}/good.sh`) + mirror('bad', `${t.dir}/bad.sh`),
  );
  w = await createWorker({ config: loadWorkerConfig(conf).config, logger: createSilentLogger(), graceMs: 300, maxBackoffMs: 200, registerWaitMs: 3000 });
  await w.start();
  expect(await w.flushReports()).toBe(true);
});
afterAll(async () => {
  await w.halt();
  await m.close();
  t.cleanup();
});

const tunasynctl = (...args: string[]) => ctl([...args, ...at], env);

describe('tunasynctl start --wait and logs', () => {
  it('start --wait on a failing job exits 1 and has printed its last lines', async () => {
    const r = await tunasynctl('start', '-w', 'w1', 'bad', '--wait');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('Successfully send the command\nconnecting upstream\nrsync error: timeout in data send/receive (code 30)\n');
    expect(r.stderr).toMatch(/^tunasynctl: run [0-9a-f-]{36} ended: failed\n$/);
  });

  it('restart --wait on a good job exits 0 after its lines; --quiet prints none of them', async () => {
    const r = await tunasynctl('restart', '-w', 'w1', 'good', '--wait');
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toMatch(/^Successfully send the command\nfetching part 1\nfetching part 2\nfetching part 3\ndone\nrun [0-9a-f-]{36} ended: success\n$/);
    const q = await tunasynctl('start', '-w', 'w1', 'good', '--wait', '--quiet');
    expect([q.code, q.stdout, q.stderr]).toEqual([0, 'Successfully send the command\n', '']);
    // A run in the same minute appends to the same file: --wait shows only its own lines.
    const again = await tunasynctl('start', '-w', 'w1', 'good', '--wait');
    expect(again.stdout).toMatch(/^Successfully send the command\nfetching part 1\nfetching part 2\nfetching part 3\ndone\nrun [0-9a-f-]{36} ended: success\n$/);
  });

  it('logs prints the latest log, its tail, the last failed one; -f on an idle job ends with its result', async () => {
    // Runs of the same minute share a log file (tunasync's names): the two runs of 'good' may be in it.
    const latest = await tunasynctl('logs', 'good');
    expect(latest.code).toBe(0);
    expect(latest.stdout).toMatch(/^(fetching part 1\nfetching part 2\nfetching part 3\ndone\n){1,3}$/);
    expect((await tunasynctl('logs', 'good', '--tail', '1')).stdout).toBe('done\n');
    const failFile = readdirSync(join(t.dir, 'log', 'bad')).find((f) => f.endsWith('.fail'))!;
    const failed = await tunasynctl('logs', 'bad', '--failed', '-w', 'w1');
    expect([failed.code, failed.stdout]).toEqual([0, readFileSync(join(t.dir, 'log', 'bad', failFile), 'utf8')]);
    const follow = await tunasynctl('logs', 'bad', '-f', '--tail', '1');
    expect([follow.code, follow.stdout]).toEqual([1, 'rsync error: timeout in data send/receive (code 30)\n']);
    expect((await tunasynctl('logs', 'good', '-f', '--tail', '0')).code).toBe(0);
    const both = await tunasynctl('logs', 'good', '--run', 'x', '--failed');
    expect([both.code, both.stderr]).toEqual([1, 'tunasynctl: use --run or --failed, not both\n']);
    const unknown = await tunasynctl('logs', 'nothere');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no registered worker has mirror nothere');
  });
});
