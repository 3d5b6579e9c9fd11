/** The packaging contract of @tunasync/certs: ESM, typed exports, the bin, published files. */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PACKAGE_NAME } from '@tunasync/certs';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as Record<string, unknown>;

describe('@tunasync/certs packaging', () => {
  it('is an ESM package with typed exports, the tunasync-certs bin, files, engines and a license', () => {
    expect(pkg.name).toBe('@tunasync/certs');
    expect(PACKAGE_NAME).toBe(pkg.name);
    expect(pkg.type).toBe('module');
    expect(pkg.exports).toMatchObject({ '.': { types: './dist/index.d.ts', import: './dist/index.js' } });
    expect(pkg.bin).toEqual({ 'tunasync-certs': './bin/tunasync-certs.js' });
    expect(pkg.files).toEqual(expect.arrayContaining(['dist', 'bin', 'README.md']));
    expect(pkg.engines).toEqual({ node: '>=20.19' });
    expect(pkg.license).toBe('GPL-3.0');
    // Runtime dependencies only: the X.509 library and the CLI parser (types are build-time).
    expect(Object.keys(pkg.dependencies as object).sort()).toEqual(['@tunasync/core', 'node-forge', 'yargs']);
  });
});
