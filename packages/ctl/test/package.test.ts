import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PACKAGE_NAME } from '@tunasync/ctl';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as Record<string, unknown>;

// The package is a skeleton until its issue; this holds its packaging contract in place.
describe('@tunasync/ctl packaging', () => {
  it('is an ESM package with typed exports, files, engines and a license', () => {
    expect(pkg.name).toBe('@tunasync/ctl');
    expect(PACKAGE_NAME).toBe(pkg.name);
    expect(pkg.type).toBe('module');
    expect(pkg.exports).toMatchObject({ '.': { types: './dist/index.d.ts', import: './dist/index.js' } });
    expect(pkg.files).toContain('dist');
    expect(pkg.engines).toEqual({ node: '>=20.19' });
    expect(pkg.license).toBe('GPL-3.0');
  });
});
