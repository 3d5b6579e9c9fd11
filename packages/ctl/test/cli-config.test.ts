/**
 * How the bin finds and reaches its manager: ctl.conf lookup order with a
 * temporary HOME and system file, flags over files, tokens from flag,
 * environment or file, https with --ca-cert, and every failure as one line
 * and exit status 1 (a stack trace only with --debug). Also: completion.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { freePort } from '@tunasync/testkit';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { execFile } from 'node:child_process';
import {
  CLI,
  cleanEnv,
  ctl,
  hasStack,
  makeTlsFiles,
  registerWorker,
  reportJob,
  startTestManager,
  tempDir,
  writeConf,
  type CtlEnv,
  type TestManager,
  type TlsFiles,
} from './helpers.js';

const t = tempDir();
let m: TestManager;
let secured: TestManager;
let https: TestManager;
let tls: TlsFiles;
let deadPort: number;

beforeAll(async () => {
  tls = await makeTlsFiles(t.dir);
  m = await startTestManager(t.dir);
  await registerWorker(m, 'w1');
  await reportJob(m, 'w1', 'debian', 'success');
  secured = await startTestManager(t.dir, { auth: { adminTokens: ['admin-secret'], workerToken: 'worker-secret', publicRead: false } });
  await registerWorker(secured, 'w1', 'http://127.0.0.1:1/', 'worker-secret');
  await reportJob(secured, 'w1', 'secret-mirror', 'disabled', {}, 'worker-secret');
  https = await startTestManager(t.dir, { server: { sslCert: tls.serverCert, sslKey: tls.serverKey } });
  deadPort = await freePort();
});
afterAll(async () => {
  await Promise.all([m.close(), secured.close(), https.close()]);
  t.cleanup();
});

/** An environment whose user ctl.conf is `user` and system ctl.conf is `system` (when given). */
function envWith(files: { system?: string; user?: string }, vars?: Record<string, string>): CtlEnv {
  const env = cleanEnv(t.dir);
  if (files.system !== undefined) writeConf(env.systemConf, files.system);
  if (files.user !== undefined) {
    mkdirSync(join(env.home, '.config', 'tunasync'), { recursive: true });
    writeConf(join(env.home, '.config', 'tunasync', 'ctl.conf'), files.user);
  }
  return vars ? { ...env, vars } : env;
}
const conf = (port: number, extra = ''): string => `manager_addr = "127.0.0.1"\nmanager_port = ${port}\n${extra}`;

describe('ctl.conf lookup', () => {
  it('reads the system file, then the user file, then -c, each overriding what it sets', async () => {
    const system = envWith({ system: conf(m.port) });
    const r = await ctl(['list', 'w1', '-v'], system);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`Loading config: ${system.systemConf}\nUse manager address: http://127.0.0.1:${m.port}\nToken: none\n`);

    const user = envWith({ system: conf(deadPort), user: `manager_port = ${m.port}\n` });
    const u = await ctl(['list', 'w1', '--verbose'], user);
    expect(u.code).toBe(0);
    expect(u.stderr).toContain(`Loading config: ${join(user.home, '.config/tunasync/ctl.conf')}\nUse manager address: http://127.0.0.1:${m.port}\n`);

    const explicit = writeConf(join(t.dir, 'explicit.conf'), `manager_port = ${m.port}\n`);
    const both = envWith({ system: conf(deadPort), user: conf(deadPort) });
    const c = await ctl(['list', 'w1', '-c', explicit, '-v'], both);
    expect(c.code).toBe(0);
    expect(c.stderr.split('\n').filter((l) => l.startsWith('Loading config'))).toEqual([
      `Loading config: ${both.systemConf}`, `Loading config: ${join(both.home, '.config/tunasync/ctl.conf')}`, `Loading config: ${explicit}`,
    ]);
  });

  it('lets -m and -p win over every file', async () => {
    const env = envWith({ system: conf(m.port), user: conf(m.port) });
    const r = await ctl(['list', 'w1', '-p', String(deadPort)], env);
    expect(r).toEqual({ code: 1, stdout: '', stderr: `tunasynctl: cannot reach the manager at http://127.0.0.1:${deadPort}: connection refused\n` });
    const addr = await ctl(['list', 'w1', '-m', '127.0.0.2', '-p', String(deadPort)], env);
    expect(addr.stderr).toBe(`tunasynctl: cannot reach the manager at http://127.0.0.2:${deadPort}: connection refused\n`);
  });

  it('defaults to localhost:14242 with no file at all', async () => {
    const r = await ctl(['list', 'w1', '-v', '-p', String(deadPort)], cleanEnv(t.dir));
    expect(r.stderr).toMatch(new RegExp(`^Use manager address: http://localhost:${deadPort}\n`));
    expect((await ctl(['workers', '-v'], cleanEnv(t.dir))).stderr).toMatch(/^Use manager address: http:\/\/localhost:14242\n/);
  });

  it('names a broken file, a missing -c file and a bad flag; warns about an unknown key', async () => {
    const broken = await ctl(['list', 'w1'], envWith({ user: 'manager_port = \n' }));
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/^tunasynctl: .*\.config\/tunasync\/ctl\.conf:1:\d+: .+\n$/);
    const wrongType = await ctl(['list', 'w1'], envWith({ system: 'manager_port = "high"\n' }));
    expect(wrongType.stderr).toMatch(/^tunasynctl: .*etc-tunasync-ctl\.conf: manager_port: must be integer\n$/);
    const missing = await ctl(['list', 'w1', '-c', join(t.dir, 'absent.conf')], cleanEnv(t.dir));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^tunasynctl: .*absent\.conf.*\n$/);
    const port = await ctl(['list', 'w1', '-p', '99999'], cleanEnv(t.dir));
    expect(port).toMatchObject({ code: 1, stderr: 'tunasynctl: --port must be an integer from 1 to 65535, got 99999\n' });
    const unknown = await ctl(['list', 'w1'], envWith({ user: `${conf(m.port)}colour = "blue"\n` }));
    expect(unknown.code).toBe(0);
    expect(unknown.stderr).toMatch(/^tunasynctl: warning: .*ctl\.conf.*colour.*\n$/);
  });
});

describe('tokens', () => {
  const at = (): string[] => ['-m', '127.0.0.1', '-p', String(secured.port)];

  it('without a token the manager\'s 401 reads "token missing or wrong", exit 1', async () => {
    const r = await ctl(['list', '-a', ...at()], cleanEnv(t.dir));
    expect(r).toEqual({
      code: 1, stdout: '',
      stderr: 'tunasynctl: token missing or wrong: no token was given (--token, TUNASYNC_TOKEN or token in ctl.conf) (manager: missing bearer token)\n',
    });
    const wrong = await ctl(['flush', ...at(), '--token', 'guess'], cleanEnv(t.dir));
    expect(wrong.stderr).toBe('tunasynctl: token missing or wrong: the manager does not know this token (manager: invalid token)\n');
  });

  it('takes the token from ctl.conf, TUNASYNC_TOKEN over it, --token over both', async () => {
    const fromFile = await ctl(['list', '-a', ...at(), '-v'], envWith({ user: 'token = "admin-secret"\n' }));
    expect(fromFile.code).toBe(0);
    expect(fromFile.stderr).toMatch(/^Token: from ctl\.conf$/m);
    expect(JSON.parse(fromFile.stdout)).toHaveLength(1);
    const fromEnv = await ctl(['list', '-a', ...at(), '-v'], envWith({ user: 'token = "stale"\n' }, { TUNASYNC_TOKEN: 'admin-secret' }));
    expect(fromEnv.code).toBe(0);
    expect(fromEnv.stderr).toMatch(/^Token: from environment$/m);
    const fromFlag = await ctl(['list', '-a', ...at(), '--token', 'admin-secret', '-v'], envWith({ user: 'token = "stale"\n' }, { TUNASYNC_TOKEN: 'stale' }));
    expect(fromFlag.code).toBe(0);
    expect(fromFlag.stderr).toMatch(/^Token: from flag$/m);
    expect(fromFlag.stderr).not.toMatch(/admin-secret/);
  });

  it('shows the manager\'s 403 when the token may read but not change', async () => {
    const r = await ctl(['flush', ...at(), '--token', 'worker-secret'], cleanEnv(t.dir));
    expect(r).toEqual({ code: 1, stdout: '', stderr: 'tunasynctl: an admin token is required\n' });
    expect(await ctl(['flush', ...at(), '--token', 'admin-secret'], cleanEnv(t.dir))).toMatchObject({ code: 0, stdout: 'Successfully flushed disabled jobs\n' });
  });
});

describe('https with --ca-cert', () => {
  const at = (): string[] => ['-m', '127.0.0.1', '-p', String(https.port)];

  it('uses https when a CA is given, by flag or in ctl.conf', async () => {
    const r = await ctl(['workers', ...at(), '--ca-cert', tls.caCert, '-v'], cleanEnv(t.dir));
    expect(r).toMatchObject({ code: 0, stdout: '[]\n' });
    expect(r.stderr).toMatch(new RegExp(`^Use manager address: https://127\\.0\\.0\\.1:${https.port}$`, 'm'));
    const fromConf = await ctl(['workers'], envWith({ user: `${conf(https.port)}ca_cert = "${tls.caCert}"\n` }));
    expect(fromConf).toMatchObject({ code: 0, stdout: '[]\n' });
    const byName = await ctl(['workers', '-m', 'localhost', '-p', String(https.port), '--ca-cert', tls.caCert], cleanEnv(t.dir));
    expect(byName.code).toBe(0);
  });

  it('explains an untrusted certificate, plain http to an https port and a missing CA file', async () => {
    const other = await ctl(['workers', ...at(), '--ca-cert', tls.otherCaCert], cleanEnv(t.dir));
    expect(other.code).toBe(1);
    expect(other.stderr).toBe(
      `tunasynctl: TLS with the manager at https://127.0.0.1:${https.port} failed: unable to verify the first certificate ` +
        '(is --ca-cert / ca_cert the CA that signed the manager\'s certificate?)\n',
    );
    const plain = await ctl(['workers', ...at()], cleanEnv(t.dir));
    expect(plain.stderr).toBe(`tunasynctl: cannot reach the manager at http://127.0.0.1:${https.port}: connection reset (if the manager uses https, give --ca-cert)\n`);
    const missing = await ctl(['workers', ...at(), '--ca-cert', join(t.dir, 'nope.crt')], cleanEnv(t.dir));
    expect(missing).toMatchObject({ code: 1, stderr: `tunasynctl: cannot read the CA certificate ${join(t.dir, 'nope.crt')}: no such file\n` });
  });

  it('presents a client certificate with --client-cert and --client-key', async () => {
    const mtls = await startTestManager(t.dir, { server: { sslCert: tls.serverCert, sslKey: tls.serverKey, clientCa: tls.caCert } });
    try {
      const base = ['workers', '-m', '127.0.0.1', '-p', String(mtls.port), '--ca-cert', tls.caCert];
      const without = await ctl(base, cleanEnv(t.dir));
      expect(without.code).toBe(1);
      expect(without.stderr).toMatch(/--client-cert and --client-key\)\n$/);
      expect(await ctl([...base, '--client-cert', tls.clientCert, '--client-key', tls.clientKey], cleanEnv(t.dir))).toMatchObject({ code: 0, stdout: '[]\n' });
      expect((await ctl([...base, '--client-cert', tls.clientCert], cleanEnv(t.dir))).stderr).toBe('tunasynctl: --client-cert and --client-key go together\n');
    } finally {
      await mtls.close();
    }
  });
});

describe('errors', () => {
  it('one line and exit 1 when the manager is down; the stack only with --debug', async () => {
    const args = ['start', '-w', 'w1', 'debian', '-m', '127.0.0.1', '-p', String(deadPort)];
    const plain = await ctl(args, cleanEnv(t.dir));
    expect(plain).toEqual({ code: 1, stdout: '', stderr: `tunasynctl: cannot reach the manager at http://127.0.0.1:${deadPort}: connection refused\n` });
    expect(hasStack(plain.stderr)).toBe(false);
    const debug = await ctl([...args, '--debug'], cleanEnv(t.dir));
    expect(debug.code).toBe(1);
    expect(debug.stderr).toContain(`debug: POST http://127.0.0.1:${deadPort}/cmd\n`);
    expect(debug.stderr).toContain(`tunasynctl: cannot reach the manager at http://127.0.0.1:${deadPort}: connection refused\nManagerRequestError: `);
    expect(hasStack(debug.stderr)).toBe(true);
    expect(debug.stderr).toMatch(/caused by:\n.*ECONNREFUSED/);
  });

  it('no stack for usage errors or manager refusals either', async () => {
    for (const args of [['nonsense'], ['list', '--bogus'], ['set-size', '-w', 'w1'], ['list', 'ghost', '-p', String(m.port), '-m', '127.0.0.1'], []]) {
      const r = await ctl(args, cleanEnv(t.dir));
      expect(r.code).toBe(1);
      expect(r.stderr.split('\n')).toHaveLength(2);
      expect(r.stderr).toMatch(/^tunasynctl: /);
      expect(hasStack(r.stderr)).toBe(false);
    }
  });
});

describe('completion', () => {
  it('prints bash, zsh and fish scripts and refuses other shells', async () => {
    const bash = await ctl(['completion', 'bash'], cleanEnv(t.dir));
    expect(bash.code).toBe(0);
    expect(bash.stdout).toMatch(/complete -o bashdefault -o default -F _tunasynctl_yargs_completions tunasynctl/);
    const zsh = await ctl(['completion', 'zsh'], cleanEnv(t.dir));
    expect(zsh.stdout).toMatch(/^#compdef tunasynctl\n/);
    expect(zsh.stdout).toMatch(/compdef _tunasynctl_yargs_completions tunasynctl/);
    const byShell = await ctl(['completion'], { ...cleanEnv(t.dir), vars: { SHELL: '/usr/bin/zsh' } });
    expect(byShell.stdout).toMatch(/^#compdef tunasynctl/);
    expect((await ctl(['completion', 'fish'], cleanEnv(t.dir))).stdout).toMatch(/^complete -f -c tunasynctl /m);
    expect(await ctl(['completion', 'tcsh'], cleanEnv(t.dir))).toEqual({ code: 1, stdout: '', stderr: 'tunasynctl: completion scripts exist for bash, zsh and fish, not "tcsh"\n' });
  });

  it('completes commands and flags in a real bash', async () => {
    const bin = join(t.dir, 'bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'tunasynctl'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`);
    chmodSync(join(bin, 'tunasynctl'), 0o755);
    const complete = async (words: string[]): Promise<string[]> => {
      const script = `source <(tunasynctl completion bash)\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')})\nCOMP_CWORD=${words.length - 1}\n_tunasynctl_yargs_completions\nprintf '%s\\n' "\${COMPREPLY[@]}"`;
      const r = await promisify(execFile)('bash', ['-c', script], { env: { PATH: `${bin}:${process.env.PATH ?? ''}`, HOME: t.dir } });
      return r.stdout.split('\n').filter(Boolean);
    };
    expect(await complete(['tunasynctl', 'rm'])).toEqual(['rm-worker']);
    expect((await complete(['tunasynctl', 's'])).sort()).toEqual(['set-size', 'set-status', 'stale', 'start', 'stop']);
    expect(await complete(['tunasynctl', 'list', '--st'])).toEqual(['--status']);
    expect(await complete(['tunasynctl', 'hi'])).toEqual(['history']);
    expect(await complete(['tunasynctl', 'history', 'debian', '--fa'])).toEqual(['--failed']);
    expect(await complete(['tunasynctl', 'history', 'debian', '--bef'])).toEqual(['--before']);
  }, 90_000); // twelve node starts
});
