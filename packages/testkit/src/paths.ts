/** Where things are in the repository, for tests that run bins or read fixtures. */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is at packages/testkit/{src,dist}/). */
export const repoRoot: string = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** A file of packages/testkit/fixtures (test data kept in the repository). */
export function fixturePath(name: string): string {
  return join(repoRoot, 'packages', 'testkit', 'fixtures', name);
}

/** The built CLI of a package: `packages/<pkg>/dist/<file>` (run `tsc -b` first). */
export function builtBin(pkg: 'manager' | 'worker' | 'ctl' | 'certs', file = 'cli.js'): string {
  return join(repoRoot, 'packages', pkg, 'dist', file);
}
