/**
 * Log rotation, as tunasync does it: each try writes
 * `<log_dir>/<name>_<YYYY-MM-DD_HH_MM>.log`, a `latest` symlink points at
 * it, a failed try's log is renamed `….log.fail`, and only the newest ten
 * logs of a mirror are kept. (tunasync matched every file starting with the
 * mirror's name, so `debian` pruned `debian-cd`'s logs; we match the exact
 * `<name>_YYYY-MM-DD_HH_MM.log[.fail]`.)
 */
import { access, mkdir, readdir, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { padNumber as pad, type Hook, type HookContext } from '@tunasync/core';

/** How many logs of a mirror are kept. */
export const KEPT_LOGS = 10;

/** The log file of a try started at `at` (local time, as tunasync names them). */
export function runLogFile(logDir: string, name: string, at: Date): string {
  const stamp = `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}_${pad(at.getHours())}_${pad(at.getMinutes())}`;
  return join(logDir, `${name}_${stamp}.log`);
}

/** The name a failed try's log is renamed to. */
export function failedLogFile(logFile: string): string {
  return `${logFile}.fail`;
}

/** Where a try's log is now: `logFile`, or its `.fail` name once a failed try's log was renamed. */
export async function logFileNow(logFile: string): Promise<string> {
  try {
    await access(logFile);
    return logFile;
  } catch {
    try {
      await access(failedLogFile(logFile));
      return failedLogFile(logFile);
    } catch {
      return logFile;
    }
  }
}

async function relink(logDir: string, target: string): Promise<void> {
  const link = join(logDir, 'latest');
  await rm(link, { force: true });
  await symlink(basename(target), link);
}

const STAMPED_LOG = /^_\d{4}-\d{2}-\d{2}_\d{2}_\d{2}\.log(\.fail)?$/;

/**
 * True for a log of mirror `name`: exactly `<name>_YYYY-MM-DD_HH_MM.log[.fail]`.
 * (`_` is allowed in names, so a prefix match on `debian_` would take
 * `debian_cd`'s logs too in a shared log_dir.)
 */
function isMirrorLog(file: string, name: string): boolean {
  return file.startsWith(name) && STAMPED_LOG.test(file.slice(name.length));
}

/** Keeps a mirror's log directory tidy and `latest` pointing at the current try. */
export class LogRotationHook implements Hook {
  /** Hook name in logs. */
  readonly name = 'logrotate';

  /** Prunes old logs (keeping room for this one), creates the try's log and links `latest`. */
  async preExec(ctx: HookContext): Promise<void> {
    await mkdir(ctx.logDir, { recursive: true });
    const entries = (await readdir(ctx.logDir)).filter((f) => isMirrorLog(f, ctx.name) && join(ctx.logDir, f) !== ctx.logFile);
    const dated = await Promise.all(
      entries.map(async (f) => ({ f, mtime: (await stat(join(ctx.logDir, f))).mtimeMs })),
    );
    dated.sort((a, b) => b.mtime - a.mtime);
    for (const { f } of dated.slice(KEPT_LOGS - 1)) await rm(join(ctx.logDir, f), { force: true });
    await writeFile(ctx.logFile, '', { flag: 'a' });
    await relink(ctx.logDir, ctx.logFile);
  }

  /** Renames the failed try's log to `.fail` and points `latest` at it. */
  async postFail(ctx: HookContext): Promise<void> {
    const failed = failedLogFile(ctx.logFile);
    try {
      await rename(ctx.logFile, failed);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    await relink(ctx.logDir, failed);
  }
}
