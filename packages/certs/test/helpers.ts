/** Helpers for the certs tests: temp dirs, openssl (the referee) and the built bin. */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** The repository root. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** The built bin. */
export const certsBin = join(repoRoot, 'packages/certs/dist/cli.js');

/** A temp dir removed by `cleanup`. */
export function tempDir(prefix = 'tunasync-certs-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** What a finished command printed and how it exited. */
export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program to its end without throwing on a non-zero exit. */
export async function runProgram(file: string, args: string[], cwd?: string): Promise<Ran> {
  try {
    const { stdout, stderr } = await exec(file, args, { cwd, maxBuffer: 8 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string; message: string };
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? e.message };
  }
}

/** Runs openssl; fails the test with its output when it exits non-zero. */
export async function openssl(...args: string[]): Promise<string> {
  const r = await runProgram('openssl', args);
  if (r.code !== 0) throw new Error(`openssl ${args.join(' ')} exited ${r.code}:\n${r.stdout}${r.stderr}`);
  return r.stdout + r.stderr;
}

/** Builds the certs package (incremental: fast when nothing changed). */
export async function buildCerts(): Promise<void> {
  await exec(process.execPath, [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-b', 'packages/certs'], { cwd: repoRoot });
}
