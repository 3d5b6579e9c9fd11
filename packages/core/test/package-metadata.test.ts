/**
 * What every package needs to be published and installed on its own: files,
 * typed exports, bins with a shebang, engines, repository, license, a README.
 * (scripts/check-packages.mjs packs and installs them for real; CI runs it.)
 */
import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './helpers.js';

const root = repoRoot();
const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { workspaces: string[]; engines: Record<string, string> };

interface Manifest {
  name: string;
  version: string;
  type: string;
  license: string;
  engines: Record<string, string>;
  repository: { type: string; url: string; directory: string };
  types: string;
  exports: Record<string, { types?: string; import?: string } | string>;
  files: string[];
  bin?: Record<string, string>;
  dependencies?: Record<string, string>;
  scripts?: Record<string, string>;
}

/** Each bin: the committed file npm links, and the built CLI it runs. */
const BINS: Record<string, Record<string, [string, string]>> = {
  core: {},
  manager: { 'tunasync-manager': ['./bin/tunasync-manager.js', '../dist/cli.js'] },
  worker: { 'tunasync-worker': ['./bin/tunasync-worker.js', '../dist/cli.js'], tunasync: ['./bin/tunasync.js', '../dist/compat-cli.js'] },
  ctl: { tunasynctl: ['./bin/tunasynctl.js', '../dist/cli.js'] },
  certs: { 'tunasync-certs': ['./bin/tunasync-certs.js', '../dist/cli.js'] },
  'store-postgres': {},
  'store-redis': {},
};

describe('package manifests', () => {
  it('cover the seven published workspaces (and the private testkit)', () => {
    expect(rootPkg.workspaces).toEqual([...Object.keys(BINS).map((d) => `packages/${d}`), 'packages/testkit']);
  });

  const manifests = Object.keys(BINS).map((dir) => {
    const pkgDir = join(root, 'packages', dir);
    return { dir, pkgDir, pkg: JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as Manifest };
  });
  const version = manifests[0]!.pkg.version;

  it.each(manifests.map((m) => [m.dir, m] as const))('@tunasync/%s is publishable', (dir, { pkgDir, pkg }) => {
    expect(pkg.name).toBe(`@tunasync/${dir}`);
    expect(pkg.version).toBe(version);
    expect(pkg.type).toBe('module');
    expect(pkg.license).toBe('GPL-3.0');
    expect(pkg.engines).toEqual(rootPkg.engines);
    expect(pkg.repository).toMatchObject({ type: 'git', directory: `packages/${dir}` });
    expect(pkg.repository.url).toMatch(/^git\+https:\/\//);
    expect(pkg.types).toBe('./dist/index.d.ts');
    expect(pkg.exports['.']).toEqual({ types: './dist/index.d.ts', import: './dist/index.js' });
    expect(pkg.files).toEqual(expect.arrayContaining(['dist', 'README.md', ...(pkg.bin ? ['bin'] : [])]));
    expect(pkg.files).toContain('!dist/**/*.tsbuildinfo');
    // `npm pack` / `npm publish` build first, so a tarball never lacks its dist.
    expect(pkg.scripts?.prepack).toBe('tsc -b');
    // Sibling packages are pinned to the one fixed version (lerna publishes them together).
    for (const [dep, range] of Object.entries(pkg.dependencies ?? {})) if (dep.startsWith('@tunasync/')) expect(range).toBe(version);
    const readme = readFileSync(join(pkgDir, 'README.md'), 'utf8');
    expect(readme.startsWith(`# @tunasync/${dir}\n`)).toBe(true);
    expect(readme.length).toBeGreaterThan(1000);
  });

  it.each(manifests.map((m) => [m.dir, m] as const))('@tunasync/%s has its bins: committed files with a node shebang that run the built CLI', (dir, { pkgDir, pkg }) => {
    expect(pkg.bin ?? {}).toEqual(Object.fromEntries(Object.entries(BINS[dir]!).map(([name, [file]]) => [name, file])));
    for (const [file, cli] of Object.values(BINS[dir]!)) {
      const text = readFileSync(join(pkgDir, file), 'utf8');
      expect(text.startsWith('#!/usr/bin/env node\n')).toBe(true);
      expect(text).toContain(`new URL('${cli}', import.meta.url)`);
      expect(text).toContain('run `npm run build` first');
      expect(existsSync(join(pkgDir, 'bin', cli.replace('../dist/', '../src/').replace(/\.js$/, '.ts')))).toBe(true);
    }
  });
});

describe('packages/core/README.md', () => {
  it('has TypeScript examples that compile against the built package, as a provider author would', async () => {
    const blocks = [...readFileSync(join(root, 'packages', 'core', 'README.md'), 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks).toHaveLength(2);
    expect(blocks[0]).toContain('implements Provider');
    const dir = mkdtempSync(join(tmpdir(), 'tunasync-core-readme-'));
    try {
      symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'provider-author', private: true, type: 'module' }));
      const files = blocks.map((b, i) => {
        const f = join(dir, `example${i}.ts`);
        writeFileSync(f, b);
        return f;
      });
      const flags = ['--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node', '--verbatimModuleSyntax'];
      const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
      const result = await new Promise<{ code: number; out: string }>((r) =>
        execFile(process.execPath, [tsc, ...flags, ...files], (err, stdout, stderr) => r({ code: err ? 1 : 0, out: stdout + stderr })),
      );
      expect(result.out).toBe('');
      expect(result.code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000); // a whole tsc run: about 8 s, several times that on a busy machine
});
