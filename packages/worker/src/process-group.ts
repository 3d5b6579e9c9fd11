/**
 * Starting provider commands: each in its own process group, stdout and
 * stderr written by the kernel straight into the run's log file (no copying
 * through JavaScript), the whole group terminated on abort (SIGTERM, then
 * SIGKILL after a grace period) and swept after the leader exits, so no
 * process of a job outlives it, unless the worker lets the group go
 * (`detach`: it exits leaving the sync running for the next worker, which
 * finds it by pid and start time, `processRunning`).
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CommandSpec } from '@tunasync/core';

/** How a process group ended. */
export interface GroupExit {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
}

/** Options of runInProcessGroup. */
export interface ProcessGroupOptions {
  /** File that receives stdout and stderr (opened for append). */
  logFile: string;
  /** Aborting it terminates the group. */
  signal?: AbortSignal;
  /** Milliseconds between SIGTERM and SIGKILL (default 5000). */
  graceMs?: number;
  /** Full environment of the process (default: process.env + spec.env). */
  env?: NodeJS.ProcessEnv;
  /** Called with the leader's pid once it has started. */
  onSpawn?: (pid: number) => void;
  /**
   * Aborting it lets the group go: the worker stops watching it (no
   * termination, no sweep) and the promise never settles. Used when the
   * worker exits leaving its syncs running (keep_syncs_on_restart).
   */
  detach?: AbortSignal;
}

/** Fields of `/proc/<pid>/stat` after the command name (state is [0], pgrp [2], starttime [19]); undefined when gone or off Linux. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** The start time of process `pid` (field 22 of `/proc/<pid>/stat`, clock ticks since boot), or undefined when gone or off Linux. */
export function processStartTime(pid: number): string | undefined {
  return statFields(pid)?.[19];
}

/**
 * True while process `pid` runs (not a zombie) and, when `start` is given,
 * started at `start`: a pid reused by another process does not count.
 */
export function processRunning(pid: number, start?: string): boolean {
  const f = statFields(pid);
  if (!f) return false;
  if (f[0] === 'Z' || f[0] === 'X') return false;
  return start === undefined || f[19] === start;
}

/**
 * Live (non-zombie) members of process group `pgid`, read from /proc; a
 * zombie holds no resources and disappears once its parent reaps it.
 * Undefined where /proc is not available.
 */
function liveMembers(pgid: number): number[] | undefined {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return undefined;
  }
  const members: number[] = [];
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${e}/stat`, 'utf8');
    } catch {
      continue;
    }
    // Fields after the parenthesised command: state ppid pgrp ...
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(rest[2]) === pgid && rest[0] !== 'Z' && rest[0] !== 'X') members.push(Number(e));
  }
  return members;
}

/** True while any process of group `pgid` is alive (zombies do not count). */
export function groupAlive(pgid: number): boolean {
  // Fast path: a group with no process at all (the common case once the
  // leader has been reaped) needs no scan of /proc.
  try {
    process.kill(-pgid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const members = liveMembers(pgid);
  if (members !== undefined) return members.length > 0;
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function signalGroup(pgid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pgid, sig);
  } catch {
    // The group is already gone.
  }
}

/** Terminates every process of group `pgid`: SIGTERM, then SIGKILL after `graceMs`; resolves when none is left. */
export async function terminateGroup(pgid: number, graceMs: number): Promise<void> {
  if (!groupAlive(pgid)) return;
  signalGroup(pgid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (groupAlive(pgid) && Date.now() < deadline) await sleep(25);
  if (groupAlive(pgid)) signalGroup(pgid, 'SIGKILL');
  for (let i = 0; i < 200 && groupAlive(pgid); i++) await sleep(10);
}

/**
 * Runs `spec` as the leader of a new process group. Resolves with its exit
 * once the leader has exited and the rest of its group is gone; rejects when
 * it cannot be started (program not found, log file not writable).
 */
export function runInProcessGroup(spec: CommandSpec, options: ProcessGroupOptions): Promise<GroupExit> {
  const graceMs = options.graceMs ?? 5000;
  return new Promise<GroupExit>((resolve, reject) => {
    if (spec.argv.length === 0 || !spec.argv[0]) {
      reject(new Error('empty command'));
      return;
    }
    let fd: number;
    try {
      fd = openSync(options.logFile, 'a');
    } catch (err) {
      reject(new Error(`cannot open log file ${options.logFile}: ${(err as Error).message}`));
      return;
    }
    const [program, ...args] = spec.argv as [string, ...string[]];
    const child = spawn(program, args, {
      cwd: spec.cwd,
      env: options.env ?? { ...process.env, ...spec.env },
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    const pgid = child.pid;
    // Told at once (not on the 'spawn' event, a tick later): a run record written here exists before the command can do anything.
    if (pgid !== undefined) options.onSpawn?.(pgid);
    let aborting: Promise<void> | undefined;
    let detached = false;
    const onAbort = (): void => {
      if (pgid !== undefined && !detached) aborting ??= terminateGroup(pgid, graceMs);
    };
    const onDetach = (): void => {
      detached = true;
      options.signal?.removeEventListener('abort', onAbort);
      child.unref();
    };
    if (options.detach?.aborted) onDetach();
    else options.detach?.addEventListener('abort', onDetach, { once: true });
    child.once('error', (err) => {
      options.signal?.removeEventListener('abort', onAbort);
      reject(new Error(`cannot start ${program}: ${err.message}`));
    });
    child.once('spawn', () => {
      if (options.signal?.aborted) onAbort();
      else options.signal?.addEventListener('abort', onAbort, { once: true });
    });
    child.once('exit', (exitCode, signal) => {
      options.signal?.removeEventListener('abort', onAbort);
      options.detach?.removeEventListener('abort', onDetach);
      if (detached) return; // the next worker finds its end from the exit status file
      // Sweep what the leader left behind in its group: no orphans.
      const sweep = pgid === undefined ? Promise.resolve() : (aborting ?? terminateGroup(pgid, graceMs));
      void sweep.then(() => resolve({ exitCode, signal }));
    });
  });
}
