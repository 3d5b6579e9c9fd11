/**
 * Shell completion (issue 21): in a real bash, the script `tunasynctl
 * completion bash` prints completes commands, and mirror and worker names
 * asked from a real manager.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runProgram } from '@tunasync/testkit';
import { CLI, cleanEnv, ctl, registerWorker, reportJob, startTestManager, tempDir, type CtlEnv, type TestManager } from './helpers.js';

// Every test runs the built bin several times: a node start each, seconds on a loaded machine.
jest.setTimeout(120_000);

const t = tempDir();
let m: TestManager;
let env: CtlEnv;
let bin: string;
let scriptFile: string;

beforeAll(async () => {
  m = await startTestManager(t.dir);
  env = cleanEnv(t.dir);
  await registerWorker(m, 'w1');
  await registerWorker(m, 'w2');
  for (const name of ['debian', 'debian-security', 'ubuntu']) await reportJob(m, 'w1', name, 'success');
  await reportJob(m, 'w2', 'debian-cd', 'success');
  // The completion script calls `tunasynctl` from PATH; ctl.conf names the manager.
  bin = join(t.dir, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'tunasynctl'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} "$@"\n`, { mode: 0o755 });
  mkdirSync(join(env.home, '.config', 'tunasync'), { recursive: true });
  writeFileSync(join(env.home, '.config', 'tunasync', 'ctl.conf'), `manager_addr = "127.0.0.1"\nmanager_port = ${m.port}\n`);
  // The script as a user installs it: printed once, sourced by each shell.
  const printed = await ctl(['completion', 'bash'], env);
  expect(printed.code).toBe(0);
  scriptFile = join(t.dir, 'tunasynctl.bash');
  writeFileSync(scriptFile, printed.stdout);
});
afterAll(async () => {
  await m.close();
  t.cleanup();
});

/** What bash completes for the command line `words` (the last one being typed). */
async function complete(...words: string[]): Promise<string[]> {
  const script = [
    `source ${JSON.stringify(scriptFile)}`,
    `COMP_WORDS=(${['tunasynctl', ...words].map((w) => `'${w}'`).join(' ')})`,
    `COMP_CWORD=${words.length}`,
    '_tunasynctl_yargs_completions',
    'printf "%s\\n" "${COMPREPLY[@]}"',
  ].join('\n');
  const r = await runProgram('bash', ['-c', script], {
    env: { PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`, HOME: env.home, TUNASYNCTL_SYSTEM_CONF: env.systemConf, SHELL: '/bin/bash' },
    timeoutMs: 20_000,
  });
  expect(r.stderr).toBe('');
  return r.stdout.split('\n').filter(Boolean).sort();
}

describe('bash completion', () => {
  it('completes a mirror name from the manager', async () => {
    expect(await complete('start', 'debian-s')).toEqual(['debian-security']);
    expect(await complete('stop', 'deb')).toEqual(['debian', 'debian-cd', 'debian-security']);
    expect(await complete('set-status', 'ubu')).toEqual(['ubuntu']);
  });

  it('completes worker names after -w and a worker\'s mirrors with -w', async () => {
    expect(await complete('start', '-w', '')).toEqual(['w1', 'w2']);
    expect(await complete('start', '-w', 'w2', '')).toEqual(['debian-cd']);
  });

  it('completes the new commands and set-status\'s status', async () => {
    expect(await complete('set-status', 'ubuntu', '')).toEqual(['failed', 'success']);
    expect(await complete('wat')).toEqual(['watch']);
    expect(await complete('set-')).toEqual(['set-size', 'set-status']);
  });

  it('prints zsh and fish scripts too', async () => {
    expect((await ctl(['completion', 'zsh'], env)).stdout).toContain('compdef _tunasynctl_yargs_completions tunasynctl');
    expect((await ctl(['completion', 'fish'], env)).stdout).toContain('complete -f -c tunasynctl');
  });
});
