/**
 * Two `tunasync-worker` daemons on one config (one state directory): the
 * second refuses to start, naming the first one's pid, and the first one's
 * outbox journal is the same file with the same content afterwards
 * (issue 13). Needs `npx tsc -b` (runs the built bin).
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { outboxFile } from '@tunasync/worker';
import { until } from './harness.js';
import { runScript, tempDir } from './helpers.js';

const bin = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli.js');
const MANAGER = 'http://127.0.0.1:9';

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

describe('two workers on one state directory', () => {
  it('the second refuses to start, naming the first one\'s pid, and leaves its journal alone', async () => {
    const t = tempDir('tunasync-lock-cli-');
    cleanups.push(t.cleanup);
    const state = join(t.dir, 'state');
    const conf = join(t.dir, 'worker.conf');
    // No manager listens: the first worker's reports wait in its journal.
    writeFileSync(
      conf,
      `[global]\nname = "w"\nlog_dir = "${t.dir}/log/{{.Name}}"\nmirror_dir = "${t.dir}/data"\nstate_dir = "${state}"\n[manager]\napi_base = "${MANAGER}"\n[server]\nlisten_port = 0\n[[mirrors]]\nname = "a"\nprovider = "command"\ncommand = "true"\n`,
    );
    const first = spawn(process.execPath, [bin, '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    const exited = new Promise<number | null>((r) => first.once('exit', (code) => r(code)));
    cleanups.push(() => {
      if (first.exitCode === null && first.signalCode === null) first.kill('SIGKILL');
    });
    const journal = outboxFile(state, MANAGER);
    // The first reports come after the worker gave up waiting for the manager (5 s), and the job ran.
    await until(async () => (existsSync(journal) && readFileSync(journal, 'utf8').includes('"success"') ? true : undefined), 'the first worker to journal a success', 90_000);
    const before = { ino: statSync(journal).ino, text: readFileSync(journal, 'utf8') };

    const second = await runScript(bin, ['-c', conf]);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`pid ${first.pid}`);
    expect(second.stderr).toContain(state);
    expect(statSync(journal).ino).toBe(before.ino);
    expect(readFileSync(journal, 'utf8')).toBe(before.text);
    expect(readdirSync(dirname(journal)).filter((f) => f.endsWith('.tmp'))).toEqual([]);

    first.kill('SIGTERM');
    expect(await exited).toBe(0);
    // The first worker released its lock on the way out.
    expect(existsSync(join(state, 'worker.lock'))).toBe(false);
  }, 180_000);
});
