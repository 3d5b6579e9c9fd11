import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeTempDir, repoRoot, type TempDir } from './helpers.js';

const run = promisify(execFile);
const root = repoRoot();
const core = join(root, 'packages', 'core');
const tsc = join(root, 'node_modules', '.bin', 'tsc');

/** Runs a command, failing with its output when it exits non-zero. */
async function sh(cmd: string, args: string[], cwd: string): Promise<string> {
  try {
    const { stdout } = await run(cmd, args, { cwd, maxBuffer: 32 * 1024 * 1024, env: { ...process.env, npm_config_update_notifier: 'false' } });
    return stdout;
  } catch (err) {
    const e = err as { message: string; stdout?: string; stderr?: string };
    throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd}:\n${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

describe('npm pack of @tunasync/core', () => {
  let tmp: TempDir;
  beforeAll(() => {
    tmp = makeTempDir('tunasync-core-pack-');
  });
  afterAll(() => tmp.remove());

  it('installs in an empty project and imports with types', async () => {
    await sh(tsc, ['-b', 'packages/core'], root);
    const packed = JSON.parse(await sh('npm', ['pack', '--json', '--pack-destination', tmp.dir], core)) as {
      filename: string;
      files: { path: string }[];
    }[];
    const tarball = join(tmp.dir, packed[0]!.filename);
    expect(existsSync(tarball)).toBe(true);
    const files = packed[0]!.files.map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining(['package.json', 'dist/index.js', 'dist/index.d.ts', 'dist/config/worker-config.d.ts']));
    // Only the build output ships: no sources, tests or build info.
    expect(files.filter((f) => !f.startsWith('dist/') && f !== 'package.json' && f !== 'README.md' && f !== 'LICENSE')).toEqual([]);
    expect(files.filter((f) => f.endsWith('.tsbuildinfo') || f.includes('test'))).toEqual([]);

    tmp.write('app/package.json', JSON.stringify({ name: 'core-consumer', version: '1.0.0', private: true, type: 'module' }));
    const app = tmp.path('app');
    await sh('npm', ['install', tarball, '@types/node@^20', '--no-audit', '--no-fund', '--prefer-offline'], app);
    const installed = JSON.parse(readFileSync(join(app, 'node_modules', '@tunasync', 'core', 'package.json'), 'utf8')) as { name: string };
    expect(installed.name).toBe('@tunasync/core');

    tmp.write(
      'app/main.js',
      `import { parseSize, formatRfc3339, zeroTime, controlTransition, parseMirrorStatus } from '@tunasync/core';
const s = parseMirrorStatus({ name: 'debian', status: 'success', last_update: '2017-12-06T14:33:06.422712373+08:00' });
console.log(JSON.stringify([parseSize('1.5G'), formatRfc3339(zeroTime()), controlTransition('none', 'start', false).state, s.lastUpdate.toISOString()]));
`,
    );
    expect(JSON.parse(await sh(process.execPath, ['main.js'], app))).toEqual([1610612736, '0001-01-01T00:00:00Z', 'ready', '2017-12-06T06:33:06.422Z']);

    tmp.write(
      'app/tsconfig.json',
      JSON.stringify({
        compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'ES2022', strict: true, noEmit: true, types: ['node'] },
        files: ['check.ts'],
      }),
    );
    tmp.write(
      'app/check.ts',
      `import { formatSize, parseWorkerConfig, type MirrorStatus, type Provider, type SyncStatus } from '@tunasync/core';
const status: SyncStatus = 'success';
const m: Pick<MirrorStatus, 'name' | 'status'> = { name: 'debian', status };
const p: Pick<Provider, 'name'> = { name: m.name };
const size: string = formatSize(1024);
const names: string[] = parseWorkerConfig('').config.mirrors.map((x) => x.name);
// @ts-expect-error: formatSize returns a string; this line only type-checks if the types are missing.
const wrong: number = formatSize(1);
export { p, size, names, wrong };
`,
    );
    await sh(tsc, ['-p', 'tsconfig.json'], app);
    // And the compiler really sees the package's types: a wrong status is an error.
    tmp.write('app/check.ts', `import type { SyncStatus } from '@tunasync/core';\nexport const s: SyncStatus = 'running';\n`);
    await expect(sh(tsc, ['-p', 'tsconfig.json'], app)).rejects.toThrow(/check\.ts\(2,14\): error TS2322: Type '"running"' is not assignable to type '"none" \| "failed"/);
  }, 180_000);
});
