/** Helpers for the certs tests: temp dirs and programs run from @tunasync/testkit, openssl (the referee) and the built bin. */
import { join } from 'node:path';
import { builtBin, repoRoot, runProgram as run, type RunResult } from '@tunasync/testkit';

export { tempDir } from '@tunasync/testkit';

/** The built bin. */
export const certsBin = builtBin('certs');

/** What a finished command printed and how it exited. */
export type Ran = RunResult;

/** Runs a program to its end without throwing on a non-zero exit. */
export function runProgram(file: string, args: string[], cwd?: string): Promise<Ran> {
  return run(file, args, cwd !== undefined ? { cwd } : {});
}

/** Runs openssl; fails the test with its output when it exits non-zero. */
export async function openssl(...args: string[]): Promise<string> {
  const r = await runProgram('openssl', args);
  if (r.code !== 0) throw new Error(`openssl ${args.join(' ')} exited ${r.code}:\n${r.stdout}${r.stderr}`);
  return r.stdout + r.stderr;
}

/** Builds the certs package (incremental: fast when nothing changed). */
export async function buildCerts(): Promise<void> {
  const r = await run(process.execPath, [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-b', 'packages/certs'], { cwd: repoRoot });
  if (r.code !== 0) throw new Error(`tsc -b packages/certs exited ${r.code}:\n${r.stdout}${r.stderr}`);
}
