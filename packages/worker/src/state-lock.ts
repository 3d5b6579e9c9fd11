/**
 * One worker per state directory: an exclusive lock file
 * (`<state dir>/worker.lock`) naming the holder (pid, host, the process's
 * start time), taken before anything in the directory is read or
 * rewritten. Two workers on one directory would interleave one outbox
 * journal, and the second one's rewrite at open would leave the first
 * appending to an unlinked file.
 *
 * The lock file is made complete under a temporary name and linked into
 * place (link(2) fails when the name exists, atomically). A lock whose
 * holder is no longer running (on this host: no such pid, a zombie, or a
 * pid reused by a process started at another time) is taken over with a
 * warning; the take-over itself is serialised by a second, short-lived
 * lock file, so two starting workers cannot both take over one stale lock.
 * Node has no flock(2); a lock on another host (a shared state directory)
 * cannot be checked and is always respected.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, linkSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync, fsyncSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { TunasyncError, type Logger } from '@tunasync/core';

/** The lock file's name inside the state directory. */
export const STATE_LOCK_FILE = 'worker.lock';

/** Who holds a lock, as written in the lock file. */
export interface LockHolder {
  pid: number;
  host: string;
  /** The holder's start time (`/proc/<pid>/stat` field 22), when known: tells a reused pid apart. */
  start?: string;
  /** When the lock was taken (ISO time). */
  since?: string;
  /** Random, to tell this lock apart from a later one of the same pid. */
  nonce: string;
}

/** A held lock on a state directory. */
export interface StateLock {
  /** The state directory. */
  readonly dir: string;
  /** The lock file. */
  readonly file: string;
  /** Removes the lock file if it is still ours (idempotent). */
  release(): void;
}

/** A state directory another running worker holds; names the holder's pid (and host). */
export class StateDirLockedError extends TunasyncError {
  /** The lock holder. */
  readonly holder: LockHolder;

  constructor(dir: string, file: string, holder: LockHolder, self: boolean) {
    const who = self
      ? `this process (pid ${holder.pid})`
      : `another worker (pid ${holder.pid}${holder.host !== hostname() ? ` on host ${holder.host}` : ''})`;
    super(
      'CONFLICT',
      409,
      `state directory ${dir} is in use by ${who}: lock file ${file}; stop that worker, or give this one another state_dir`,
    );
    this.holder = holder;
  }
}

/** The start time of process `pid` (field 22 of `/proc/<pid>/stat`), or undefined off Linux / when gone. */
function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Why a holder on this host is no longer running, or undefined when it is. */
function deadReason(h: LockHolder): string | undefined {
  try {
    process.kill(h.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return 'is not running';
    // EPERM: it runs, as another user.
  }
  try {
    const stat = readFileSync(`/proc/${h.pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return 'is no longer running (a zombie)';
  } catch {
    // No /proc: trust kill(0).
  }
  const start = processStart(h.pid);
  if (h.start !== undefined && start !== undefined && start !== h.start) return 'is no longer running (the pid belongs to another process now)';
  return undefined;
}

/** The holder named in `file`, `null` when it is not a lock we can read, undefined when there is no file. */
function readHolder(file: string): LockHolder | null | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const h = JSON.parse(text) as Partial<LockHolder> | null;
    if (h && Number.isSafeInteger(h.pid) && (h.pid as number) > 0 && typeof h.host === 'string' && typeof h.nonce === 'string') return h as LockHolder;
  } catch {
    // Not JSON.
  }
  return null;
}

/** Creates `file` holding `content`, complete, or fails with EEXIST. */
function createComplete(file: string, content: string): void {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'wx');
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, file);
  } finally {
    unlinkSync(tmp);
  }
}

/** Blocks for `ms` (taking a lock happens once, at start, and its retries are rare). */
const pause = (ms: number): void => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
};

const isCode = (err: unknown, code: string): boolean => (err as NodeJS.ErrnoException).code === code;

/** Options of lockStateDir. */
export interface StateLockOptions {
  /** Hears of a stale lock taken over. */
  logger?: Pick<Logger, 'warn'>;
}

/**
 * Takes the exclusive lock on state directory `dir` (created if missing).
 * Throws StateDirLockedError, naming the holder's pid, when a running
 * process holds it (this one included); takes over a lock left by a
 * process that is gone, with a warning.
 */
export function lockStateDir(dir: string, options: StateLockOptions = {}): StateLock {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, STATE_LOCK_FILE);
  const host = hostname();
  const start = processStart(process.pid);
  const me: LockHolder = { pid: process.pid, host, ...(start ? { start } : {}), since: new Date().toISOString(), nonce: randomBytes(8).toString('hex') };
  const content = `${JSON.stringify(me)}\n`;
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      createComplete(file, content);
      return handle(dir, file, me.nonce);
    } catch (err) {
      if (!isCode(err, 'EEXIST')) throw new Error(`cannot take the lock ${file}: ${(err as Error).message}`, { cause: err });
    }
    const holder = readHolder(file);
    if (holder === undefined) continue; // released meanwhile
    if (holder !== null && holder.host !== host) throw new StateDirLockedError(dir, file, holder, false);
    if (holder !== null && holder.pid === process.pid) throw new StateDirLockedError(dir, file, holder, true);
    const why = holder === null ? 'cannot be read' : deadReason(holder);
    if (why === undefined) throw new StateDirLockedError(dir, file, holder!, false);
    if (takeOver(file, holder, me)) {
      const who = holder === null ? 'unreadable lock' : `lock of pid ${holder.pid}, which ${why}`;
      options.logger?.warn(`state directory ${dir}: took over the ${who} (${file})`);
    }
    // Either way, try to create it again: whoever got there first holds it.
  }
  throw new Error(`cannot take the lock ${file}: it keeps changing hands`);
}

/**
 * Removes the stale lock `file` (still naming `stale`) while holding the
 * take-over lock, so that a lock another process just took is never removed.
 * True when this process removed it.
 */
function takeOver(file: string, stale: LockHolder | null, me: LockHolder): boolean {
  const guard = `${file}.takeover`;
  try {
    createComplete(guard, `${JSON.stringify(me)}\n`);
  } catch (err) {
    if (!isCode(err, 'EEXIST')) throw err;
    // Someone is taking over right now; a take-over lock of a process that died in those few lines goes.
    const g = readHolder(guard);
    if (g === null || (g !== undefined && g.host === me.host && deadReason(g) !== undefined)) {
      try {
        unlinkSync(guard);
      } catch {
        // Gone already.
      }
    } else pause(10);
    return false;
  }
  try {
    const now = readHolder(file);
    const same = now === null ? stale === null : now !== undefined && stale !== null && now.nonce === stale.nonce;
    if (!same) return false;
    unlinkSync(file);
    return true;
  } finally {
    unlinkSync(guard);
  }
}

function handle(dir: string, file: string, nonce: string): StateLock {
  let held = true;
  return {
    dir,
    file,
    release(): void {
      if (!held) return;
      held = false;
      // Only our own lock: never one taken over by a later process. Best effort:
      // a lock left behind is taken over by the next worker, since this process will be gone.
      try {
        if (readHolder(file)?.nonce === nonce) unlinkSync(file);
      } catch {
        // The directory went away, or cannot be read now.
      }
    },
  };
}
