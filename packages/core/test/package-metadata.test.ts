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

const BINS: Record<string, Record<string, string>> = {
  core: {},
  manager: { 'tunasync-manager': './dist/cli.js' },
  worker: { 'tunasync-worker': './dist/cli.js', tunasync: './dist/compat-cli.js' },
  ctl: { tunasynctl: './dist/cli.js' },
  certs: { 'tunasync-certs': './dist/cli.js' },
};

describe('package manifests', () => {
  it('cover the five workspaces', () => {
    expect(rootPkg.workspaces).toEqual(Object.keys(BINS).map((d) => `packages/${d}`));
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
    expect(pkg.files).toEqual(expect.arrayContaining(['dist', 'README.md']));
    expect(pkg.files).toContain('!dist/**/*.tsbuildinfo');
    // `npm pack` / `npm publish` build first, so a tarball never lacks its dist.
    expect(pkg.scripts?.prepack).toBe('tsc -b');
    // Sibling packages are pinned to the one fixed version (lerna publishes them together).
    for (const [dep, range] of Object.entries(pkg.dependencies ?? {})) if (dep.startsWith('@tunasync/')) expect(range).toBe(version);
    const readme = readFileSync(join(pkgDir, 'README.md'), 'utf8');
    expect(readme.startsWith(`# @tunasync/${dir}\n`)).toBe(true);
    expect(readme.length).toBeGreaterThan(1000);
  });

  it.each(manifests.map((m) => [m.dir, m] as const))('@tunasync/%s has its bins, built with a node shebang', (dir, { pkgDir, pkg }) => {
    expect(pkg.bin ?? {}).toEqual(BINS[dir]);
    for (const target of Object.values(pkg.bin ?? {})) {
      expect(existsSync(join(pkgDir, target.replace('./dist/', './src/').replace(/\.js$/, '.ts')))).toBe(true);
      expect(readFileSync(join(pkgDir, target), 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
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
  });
});
