/**
 * Running the small system tools hooks rely on (`docker stop`, `docker ps`,
 * `mountpoint`, `btrfs`): output captured, bounded in time, never through a
 * shell. The job's environment is added to the worker's, so a mirror's `env`
 * (a PATH, DOCKER_HOST) applies to them as it does to the provider.
 */
import { spawn } from 'node:child_process';

/** How a tool ended. */
export interface ToolResult {
  /** Exit code, or null when killed by a signal. */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Options of runTool. */
export interface ToolOptions {
  /** Added to the worker's environment. */
  env?: Readonly<Record<string, string>>;
  /** Killed (SIGKILL) after this many milliseconds (default 60 s). */
  timeoutMs?: number;
  /** Killed (SIGKILL) when it aborts: a hook passes its run's signal. */
  signal?: AbortSignal;
}

const MAX_OUTPUT = 64 * 1024;

/** Runs `argv`; resolves with its exit code and output, rejects only when it cannot be started. */
export function runTool(argv: string[], options: ToolOptions = {}): Promise<ToolResult> {
  const [program, ...args] = argv as [string, ...string[]];
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, {
      env: { ...process.env, ...(options.env ?? {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.signal ? { signal: options.signal, killSignal: 'SIGKILL' as const } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      if (stdout.length < MAX_OUTPUT) stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < MAX_OUTPUT) stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      const aborted = options.signal?.aborted ? `${program} stopped: ${(options.signal.reason as Error | undefined)?.message ?? 'aborted'}` : undefined;
      reject(new Error(aborted ?? `cannot run ${program}: ${err.message}`));
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** `argv` as an operator would type it, for messages. */
export function commandLine(argv: string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** The tool's complaint (stderr, else stdout), on one line, for error messages. */
export function toolOutput(r: ToolResult): string {
  const text = (r.stderr.trim() || r.stdout.trim()).replace(/\s*\n\s*/g, '; ');
  const status = r.code === null ? 'killed' : `exit status ${r.code}`;
  return text ? `${status}: ${text}` : status;
}
