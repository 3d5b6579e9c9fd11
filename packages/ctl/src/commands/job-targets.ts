/**
 * `start|stop|disable|restart|ping [-w W] MIRROR-OR-GLOB… [--dry-run]`: the
 * words are resolved to jobs (targets.ts) and each job gets its command
 * through the manager's `/cmd`, one line each (`debian: stopped on w1`);
 * exit 1 when any failed, the others still done. A word that names no job,
 * or (without `-w`) a mirror on several workers, stops the command before
 * anything is sent.
 *
 * tunasync's form stays as it was, output included: `-w W MIRROR`, and
 * `-w W MIRROR ARGS` (ARGS comma-separated, passed along) when ARGS is not
 * a job of W.
 */
import type { ManagerClient } from '../client.js';
import { ReportedFailure, UsageError } from '../errors.js';
import { isGlob } from '../glob.js';
import type { CtlIO } from '../io.js';
import { listJobRefs, resolveTargets, type JobRef } from '../targets.js';
import { escapeTerminalLines, escapeTerminalText } from '../terminal-text.js';
import { jobCommand, type JobVerb } from './jobs.js';

/** Options of a job command over names and globs. */
export interface JobTargetsOptions {
  /** `-w/--worker`: every word is a job of this worker. */
  worker?: string;
  /** Mirror names and globs (and tunasync's ARGS, see above). */
  words: string[];
  /** `-f/--force` (start only). */
  force?: boolean;
  /** `--dry-run`: print what would be acted on, send nothing. */
  dryRun?: boolean;
}

/** What the line of a job says was done. */
export const DONE_WORDS: Record<JobVerb, string> = {
  start: 'started',
  stop: 'stopped',
  disable: 'disabled',
  restart: 'restarted',
  ping: 'pinged',
};

const shown = escapeTerminalText;

/** True when the words are tunasync's form: `-w W MIRROR`, or `-w W MIRROR ARGS` where ARGS is not a job of W. */
async function isTunasyncForm(client: ManagerClient, opts: JobTargetsOptions): Promise<boolean> {
  const [first, second, ...more] = opts.words;
  if (opts.worker === undefined || opts.dryRun || first === undefined || isGlob(first) || more.length > 0) return false;
  if (second === undefined) return true;
  if (isGlob(second)) return false;
  try {
    return !(await client.listWorkerJobs(opts.worker)).some((j) => j.name === second);
  } catch {
    return true; // the command itself will say what is wrong (unknown worker…)
  }
}

/** Sends `verb` to each target in order; returns how many failed (each reported on stderr). */
async function actOn(client: ManagerClient, verb: JobVerb, targets: JobRef[], force: boolean, io: CtlIO): Promise<number> {
  let failed = 0;
  for (const t of targets) {
    try {
      await client.sendCommand({ cmd: verb, workerId: t.worker, mirrorId: t.mirror, options: force ? { force: true } : {} });
      io.out(`${shown(t.mirror)}: ${DONE_WORDS[verb]} on ${shown(t.worker)}\n`);
    } catch (err) {
      failed += 1;
      io.err(`tunasynctl: ${shown(t.mirror)}: not ${DONE_WORDS[verb]} on ${shown(t.worker)}: ${escapeTerminalLines(err instanceof Error ? err.message : String(err))}\n`);
    }
  }
  return failed;
}

/** Runs a job verb over names and globs (or in tunasync's form). */
export async function jobVerbCommand(client: ManagerClient, verb: JobVerb, opts: JobTargetsOptions, io: CtlIO): Promise<void> {
  if (opts.words.length === 0) throw new UsageError(`${verb} needs a MIRROR (a name or a glob such as 'debian*')`);
  if (opts.worker === '') throw new UsageError('-w/--worker must not be empty');
  if (opts.force && verb !== 'start') throw new UsageError('--force only applies to start');
  if (await isTunasyncForm(client, opts)) {
    const [mirror, args] = opts.words as [string, string | undefined];
    await jobCommand(client, verb, { worker: opts.worker!, mirror, ...(args !== undefined ? { args } : {}), force: opts.force === true }, io);
    return;
  }
  const { targets, problems } = resolveTargets(opts.words, await listJobRefs(client, opts.worker), opts.worker);
  if (problems.length > 0) {
    for (const p of problems) io.err(`tunasynctl: ${p}\n`);
    io.err(`tunasynctl: nothing was ${DONE_WORDS[verb]}\n`);
    throw new ReportedFailure();
  }
  if (opts.dryRun) {
    for (const t of targets) io.out(`${shown(t.mirror)}: would be ${DONE_WORDS[verb]} on ${shown(t.worker)}\n`);
    return;
  }
  const failed = await actOn(client, verb, targets, opts.force === true, io);
  if (failed > 0) {
    if (targets.length > 1) io.err(`tunasynctl: ${failed} of ${targets.length} failed\n`);
    throw new ReportedFailure();
  }
}
