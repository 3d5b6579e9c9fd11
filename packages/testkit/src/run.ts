/** Running a program or a node script to its end and keeping what it printed. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** What a finished program printed and how it exited. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Where and how a program runs. */
export interface RunOptions {
  cwd?: string;
  /** The whole environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Kill it after this many ms (default: never). */
  timeoutMs?: number;
}

/**
 * Runs `file args…` with async execFile; resolves with its exit code and
 * output whatever the code. Rejects only when it could not run at all
 * (not found, killed by the timeout).
 */
export async function runProgram(file: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  try {
    const r = await exec(file, args, {
      maxBuffer: 16 * 1024 * 1024,
      ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
      ...(opts.env !== undefined ? { env: opts.env } : {}),
      ...(opts.timeoutMs !== undefined ? { timeout: opts.timeoutMs } : {}),
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** Runs `node script args…` (a built bin, a script) the same way. */
export function runScript(script: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return runProgram(process.execPath, [script, ...args], opts);
}
