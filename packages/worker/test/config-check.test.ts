/**
 * `--dry-run` refuses exactly what start refuses (issue 13): for each check,
 * the real CLI (spawned from dist) with --dry-run, the real CLI starting the
 * daemon, and createWorker refuse the same config with the same file, key
 * and message, and none of them leaves anything behind.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, createSilentLogger, formatConfigIssue, loadWorkerConfig } from '@tunasync/core';
import { checkWorkerConfig, createWorker } from '@tunasync/worker';
import { runScript, tempDir } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const bin = resolve(here, '..', 'dist', 'cli.js');

const cleanups: Array<() => void> = [];
afterAll(() => cleanups.forEach((c) => c()));

/** The config-issue lines of a CLI's stderr (`file: key: message`), without prefix, heading and warnings. */
function issueLines(stderr: string): string[] {
  return stderr
    .split('\n')
    .map((l) => l.replace(/^tunasync-worker: /, '').trim())
    .filter((l) => l !== '' && l !== 'invalid configuration:' && !l.startsWith('warning: '));
}

/** What a config is refused with by --dry-run, by the CLI's start, and by createWorker (undefined when the loader refuses it first). */
async function refusals(body: string, files: Record<string, string> = {}, opts: { name?: string; manager?: string } = {}): Promise<{ conf: string; dryRun: string[]; cliStart: string[]; createWorker?: string[] }> {
  const t = tempDir('tunasync-check-');
  cleanups.push(t.cleanup);
  const conf = join(t.dir, 'worker.conf');
  // listen_port 0 and an unreachable manager: a start that was not refused would still not clash with anything.
  const head = `[global]\nname = ${JSON.stringify(opts.name ?? 'w')}\nlog_dir = "${t.dir}/log/{{.Name}}"\nmirror_dir = "${t.dir}/data"\n`;
  writeFileSync(conf, `${head}[manager]\napi_base = "http://127.0.0.1:9"\n${opts.manager ?? ''}${body.includes('[server]') ? '' : '[server]\nlisten_port = 0\n'}${body}`);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(t.dir, name), text);
  const before = readdirSync(t.dir).sort();

  const [dry, start] = await Promise.all([runScript(bin, ['--dry-run', '-c', conf]), runScript(bin, ['-c', conf])]);
  expect(dry.code).toBe(1);
  expect(start.code).toBe(1);
  let viaCreate: string[] | undefined;
  let loaded;
  try {
    loaded = loadWorkerConfig(conf);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
  }
  if (loaded) {
    const err = await createWorker({ config: loaded.config, logger: createSilentLogger() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    viaCreate = (err as ConfigError).issues.map(formatConfigIssue);
  }
  // Refusing created nothing: no log or data directory, no state directory.
  expect(readdirSync(t.dir).sort()).toEqual(before);
  return { conf, dryRun: issueLines(dry.stderr), cliStart: issueLines(start.stderr), ...(viaCreate ? { createWorker: viaCreate } : {}) };
}

/** Asserts that all three refuse with exactly `expected` (lines `file: key: message`). */
async function expectSameRefusal(
  body: string,
  expected: (conf: string, dir: string) => string[],
  files: Record<string, string> = {},
  opts: { name?: string; manager?: string } = {},
): Promise<void> {
  const r = await refusals(body, files, opts);
  const want = expected(r.conf, dirname(r.conf));
  expect(r.dryRun).toEqual(want);
  expect(r.cliStart).toEqual(want);
  if (r.createWorker) expect(r.createWorker).toEqual(want);
}

const command = (name: string, extra = ''): string => `[[mirrors]]\nname = "${name}"\nprovider = "command"\ncommand = "true"\n${extra}`;

describe('--dry-run and start refuse the same configs', () => {
  it('core loader: a mirror_subdir leaving mirror_dir', async () => {
    await expectSameRefusal(command('a', 'mirror_subdir = "../../elsewhere"\n'), (conf, dir) => [
      `${conf}: mirrors[0].mirror_subdir: "../../elsewhere" puts the mirror directory outside [global] mirror_dir "${dir}/data"`,
    ]);
  });

  it('core loader: a [global] name that is not a safe name', async () => {
    await expectSameRefusal(command('a'), (conf) => [`${conf}: global.name: "../../x" is not a safe directory name (use letters, digits and ._+@~-, not starting with . or -)`], {}, { name: '../../x' });
  });

  it('provider: a custom provider file that does not exist', async () => {
    await expectSameRefusal(`[[mirrors]]\nname = "a"\nprovider = "./nope.js"\n`, (conf, dir) => [
      `${conf}: mirrors[0].provider: provider module ${dir}/nope.js does not exist`,
    ]);
  });

  it('provider: a custom provider module that exports no factory', async () => {
    await expectSameRefusal(
      `[[mirrors]]\nname = "a"\nprovider = "./empty.mjs"\n`,
      (conf) => [`${conf}: mirrors[0].provider: provider module "./empty.mjs" exports neither createProvider nor a default`],
      { 'empty.mjs': 'export const nothing = 1;\n' },
    );
  });

  it('provider: a provider package that is not installed', async () => {
    const r = await refusals(`[[mirrors]]\nname = "a"\nprovider = "tunasync-provider-not-installed"\n`);
    const prefix = `${r.conf}: mirrors[0].provider: cannot load provider module "tunasync-provider-not-installed": `;
    expect(r.dryRun).toHaveLength(1);
    expect(r.dryRun[0]).toContain(`${prefix}Cannot find package 'tunasync-provider-not-installed'`);
    expect(r.cliStart).toEqual(r.dryRun);
    // In-process (under jest) another resolver loads modules, so only the file, key and reason's start are the same.
    expect(r.createWorker).toHaveLength(1);
    expect(r.createWorker![0]!.startsWith(prefix)).toBe(true);
  });

  it('cron: an expression node-schedule refuses', async () => {
    await expectSameRefusal(command('a', 'cron = "every tuesday"\n'), (conf) => [`${conf}: mirrors[0].cron: "every tuesday" is not a valid cron expression`]);
  });

  it('hooks: [btrfs_snapshot] enabled without a snapshot_path', async () => {
    await expectSameRefusal(`[btrfs_snapshot]\nenable = true\n${command('a')}`, (conf) => [
      `${conf}: mirrors[0].snapshot_path: is needed: [btrfs_snapshot] is enabled and has no snapshot_path`,
    ]);
  });

  it("hooks: a mirror named __worker with [cgroup] in implicit mode", async () => {
    const r = await refusals(`[cgroup]\nenable = true\n${command('__worker')}`);
    // This machine's cgroups may add a line of their own; all three see the same.
    expect(r.dryRun).toContain(`${r.conf}: mirrors[0].name: __worker is the worker's own cgroup; rename the mirror`);
    expect(r.cliStart).toEqual(r.dryRun);
    expect(r.createWorker).toEqual(r.dryRun);
  });

  it('[server]: ssl_cert without ssl_key', async () => {
    await expectSameRefusal(`[server]\nlisten_port = 0\nssl_cert = "/nonexistent/cert.pem"\n${command('a')}`, (conf) => [`${conf}: server.ssl_key: is required when ssl_cert is set`]);
  });

  it('[server]: a certificate file that cannot be read', async () => {
    await expectSameRefusal(`[server]\nlisten_port = 0\nssl_cert = "/nonexistent/cert.pem"\nssl_key = "/nonexistent/key.pem"\n${command('a')}`, (conf) => [
      `${conf}: server.ssl_cert: cannot read /nonexistent/cert.pem (ENOENT)`,
      `${conf}: server.ssl_key: cannot read /nonexistent/key.pem (ENOENT)`,
    ]);
  });

  it('[manager]: a ca_cert or client certificate that cannot be read', async () => {
    const manager = 'ca_cert = "/nonexistent/ca.pem"\nclient_cert = "/nonexistent/c.pem"\nclient_key = "/nonexistent/k.pem"\n';
    await expectSameRefusal(command('a'), (conf) => ['ca_cert', 'client_cert', 'client_key'].map((k) => `${conf}: manager.${k}: cannot read /nonexistent/${k === 'ca_cert' ? 'ca' : k === 'client_cert' ? 'c' : 'k'}.pem (ENOENT)`), {}, { manager });
  });

  it('reload refuses with the same check, changing nothing', async () => {
    const t = tempDir('tunasync-check-');
    cleanups.push(t.cleanup);
    const conf = join(t.dir, 'worker.conf');
    const head = `[global]\nname = "w"\nlog_dir = "${t.dir}/log/{{.Name}}"\nmirror_dir = "${t.dir}/data"\n[manager]\napi_base = "http://127.0.0.1:9"\n[server]\nlisten_port = 0\n`;
    writeFileSync(conf, `${head}${command('a', 'interval = 600\n')}`);
    const w = await createWorker({ config: loadWorkerConfig(conf).config, logger: createSilentLogger(), registerWaitMs: 1 });
    try {
      await w.start();
      writeFileSync(conf, `${head}[btrfs_snapshot]\nenable = true\n${command('a', 'interval = 600\n')}${command('b')}`);
      const checked = await checkWorkerConfig(loadWorkerConfig(conf).config).catch((e: unknown) => e);
      expect(checked).toBeInstanceOf(ConfigError);
      const dry = await runScript(bin, ['--dry-run', '-c', conf]);
      expect(issueLines(dry.stderr)).toEqual((checked as ConfigError).issues.map(formatConfigIssue));
      await expect(w.reload()).rejects.toThrow((checked as ConfigError).message);
      expect([...w.jobs.keys()]).toEqual(['a']);
    } finally {
      await w.halt();
    }
  });
});
