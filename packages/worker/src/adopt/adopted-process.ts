/**
 * Waiting for a provider command a previous worker process started: it is
 * not our child, so it is watched through /proc (its pid and start time,
 * polled) instead of wait(2); its end comes from the exit status file its
 * wrapper writes. An abort (stop, disable, timeout) terminates its whole
 * process group, as for a command this worker started; a Docker command
 * whose client is gone is waited for with `docker wait <container>`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { groupAlive, processRunning, terminateGroup, type GroupExit } from '../process-group.js';
import { runTool } from '../hooks/run-tool.js';
import type { RecordedExit, RunRecord } from './run-records.js';

/** Options of waitForAdopted. */
export interface AdoptedWaitOptions {
  /** Aborting it terminates the group. */
  signal: AbortSignal;
  /** Aborting it stops watching: the promise never settles (the worker exits leaving the sync running). */
  detach: AbortSignal;
  graceMs: number;
  /** The recorded exit status, read once the process has ended. */
  exitStatus: () => RecordedExit | undefined;
  /** Poll interval (default 200 ms). */
  pollMs?: number;
  /** The job's environment, added to the worker's for `docker` (a PATH, DOCKER_HOST). */
  env?: Readonly<Record<string, string>>;
}

/** The error of an adopted command that ended with no exit status (killed with its wrapper, or the wrapper lost). */
export class NoExitStatusError extends Error {
  constructor(record: RunRecord) {
    super(`pid ${record.pid} ended without an exit status (killed?)`);
  }
}

const never = <T>(): Promise<T> => new Promise<T>(() => {});

/**
 * Resolves with how the adopted command ended (its recorded exit status)
 * once its process, and every other process of its group, is gone; rejects
 * with NoExitStatusError when it left no status.
 */
export async function waitForAdopted(record: RunRecord, opts: AdoptedWaitOptions): Promise<GroupExit> {
  let aborting: Promise<void> | undefined;
  const onAbort = (): void => {
    aborting ??= terminateGroup(record.pgid, opts.graceMs);
  };
  if (opts.signal.aborted) onAbort();
  else opts.signal.addEventListener('abort', onAbort, { once: true });
  try {
    while (processRunning(record.pid, record.procStart)) {
      if (opts.detach.aborted) return never();
      await sleep(opts.pollMs ?? 200);
    }
    if (opts.detach.aborted) return never();
    // Sweep what the leader left behind in its group, as for our own commands.
    await (aborting ?? (groupAlive(record.pgid) ? terminateGroup(record.pgid, opts.graceMs) : Promise.resolve()));
  } finally {
    opts.signal.removeEventListener('abort', onAbort);
  }
  const exit = opts.exitStatus();
  if (opts.signal.aborted) return exit ?? { exitCode: null, signal: 'SIGTERM' };
  if (!exit) throw new NoExitStatusError(record);
  return exit;
}

/** True when `docker inspect` says the container runs. */
export async function containerRunning(container: string, env?: Readonly<Record<string, string>>): Promise<boolean> {
  try {
    const r = await runTool(['docker', 'inspect', '-f', '{{.State.Running}}', container], { ...(env ? { env } : {}), timeoutMs: 30_000 });
    return r.code === 0 && r.stdout.trim() === 'true';
  } catch {
    return false;
  }
}

/**
 * Waits for a running container (the command's Docker client is gone) with
 * `docker wait`, which prints its exit code; an abort runs `docker stop`
 * through the Docker hook, and `docker wait` then returns.
 */
export async function waitForContainer(container: string, opts: Pick<AdoptedWaitOptions, 'detach' | 'env'>): Promise<GroupExit> {
  const r = await runTool(['docker', 'wait', container], { ...(opts.env ? { env: opts.env } : {}), timeoutMs: 2 ** 31 - 1 });
  if (opts.detach.aborted) return never();
  const code = Number(r.stdout.trim());
  if (r.code !== 0 || !Number.isInteger(code)) throw new Error(`docker wait ${container} failed: ${r.stderr.trim() || `exit ${r.code}`}`);
  return { exitCode: code, signal: null };
}
