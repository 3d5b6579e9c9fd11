/**
 * Commands on jobs: `start`, `stop`, `disable`, `restart`, `ping` (sent to
 * the worker through the manager's `/cmd`), `reload -w W`, `set-size [-w W]
 * MIRROR SIZE` and `flush`. tunasync's form (`-w W MIRROR [ARGS]`) prints
 * tunasync's line; names and globs on any worker print one line per job
 * (jobVerbCommand).
 */
import type { CommandVerb } from '@tunasync/core';
import type { ManagerClient } from '../client.js';
import { ManagerRequestError, UsageError } from '../errors.js';
import { workerOf } from '../targets.js';
import type { CtlIO } from '../io.js';
import { escapeTerminalText } from '../terminal-text.js';

/** Verbs that act on one job. */
export type JobVerb = Exclude<CommandVerb, 'reload'>;

/** Options of a job command. */
export interface JobCommandOptions {
  /** `-w/--worker`. */
  worker: string;
  /** The job. */
  mirror: string;
  /** tunasync's optional second argument: comma-separated arguments passed along. */
  args?: string;
  /** `-f/--force` (start only): run past the worker's concurrency limit. */
  force?: boolean;
}

/** What tunasync's tunasynctl prints when a command was delivered. */
export const COMMAND_SENT = 'Successfully send the command';

function needWorker(worker: string, verb: string): void {
  if (!worker) throw new UsageError(`${verb} needs the worker: -w WORKER`);
}

/** Runs `start|stop|disable|restart|ping -w W MIRROR [ARGS]`. */
export async function jobCommand(client: ManagerClient, verb: JobVerb, opts: JobCommandOptions, io: CtlIO): Promise<void> {
  needWorker(opts.worker, verb);
  if (!opts.mirror) throw new UsageError(`${verb} needs the MIRROR`);
  if (opts.force && verb !== 'start') throw new UsageError('--force only applies to start');
  const args = opts.args === undefined ? [] : opts.args.split(',').map((a) => a.trim());
  await client.sendCommand({
    cmd: verb,
    workerId: opts.worker,
    mirrorId: opts.mirror,
    args,
    options: opts.force ? { force: true } : {},
  });
  io.out(`${COMMAND_SENT}\n`);
}

/** Runs `reload -w W`: the worker re-reads its config file. */
export async function reloadCommand(client: ManagerClient, worker: string, io: CtlIO): Promise<void> {
  needWorker(worker, 'reload');
  await client.sendCommand({ cmd: 'reload', workerId: worker });
  io.out(`${COMMAND_SENT}\n`);
}

/**
 * Runs `set-size [-w W] MIRROR SIZE`, then checks the size the manager
 * stored. Without `-w`, the only worker that has the mirror.
 */
export async function setSizeCommand(client: ManagerClient, opts: { worker?: string; mirror: string; size: string }, io: CtlIO): Promise<void> {
  if (opts.worker === '') needWorker('', 'set-size');
  if (!opts.mirror || !opts.size) throw new UsageError('usage: tunasynctl set-size [-w WORKER] MIRROR SIZE');
  const worker = opts.worker ?? (await workerOf(client, opts.mirror));
  const stored = await client.setSize(worker, opts.mirror, opts.size);
  if (stored.size !== opts.size) {
    throw new ManagerRequestError('bad-answer', `Mirror size error, expecting ${opts.size}, manager returned ${escapeTerminalText(stored.size)}`, {
      url: `${client.baseUrl}/workers/${worker}/jobs/${opts.mirror}/size`,
    });
  }
  io.out(`Successfully updated mirror size to ${opts.size}\n`);
}

/** Runs `flush`: deletes every disabled job on the manager. */
export async function flushCommand(client: ManagerClient, io: CtlIO): Promise<void> {
  await client.flushDisabled();
  io.out('Successfully flushed disabled jobs\n');
}
