/**
 * The worker commands: `workers` (list them), `rm-worker -w W`.
 */
import { serializeWorkerStatus } from '@tunasync/core';
import type { ManagerClient } from '../client.js';
import { UsageError } from '../errors.js';
import { compileFormat, workerStatusValue } from '../format-template.js';
import type { CtlIO } from '../io.js';
import { workersTable } from '../table.js';
import { escapeStringFields } from '../terminal-text.js';
import { chooseOutput, type OutputMode } from '../output.js';

/** Options of the workers command. */
export interface WorkersOptions {
  /** `-f/--format`: a Go template over WorkerStatus (`{{.ID}} {{.URL}}`), one line per worker. */
  format?: string;
  /** `-o/--output`; unset: a table when stdout is a terminal, JSON otherwise. */
  output?: OutputMode;
}

/** Runs `workers`: indented JSON (tunasync's output, when piped), a template per worker, or a table (at a terminal). */
export async function workersCommand(client: ManagerClient, opts: WorkersOptions, io: CtlIO): Promise<void> {
  if (opts.format !== undefined && opts.output === 'table') throw new UsageError('use --format or --output table, not both');
  const template = opts.format ? compileFormat(opts.format, 'WorkerStatus') : undefined;
  const workers = await client.listWorkers();
  if (template) for (const w of workers) io.out(`${template.render(workerStatusValue(escapeStringFields(w)))}\n`);
  else if (chooseOutput(opts.output, undefined, io) === 'table') io.out(workersTable(workers, { now: io.now(), color: io.color }));
  else io.out(`${JSON.stringify(workers.map((w) => serializeWorkerStatus(w)), null, 2)}\n`);
}

/**
 * Runs `rm-worker -w W`: removes the worker's registration from the manager.
 * Its jobs stay listed in `GET /jobs` (as in tunasync) until `flush` removes
 * the disabled ones or the worker deletes them on reload.
 */
export async function removeWorkerCommand(client: ManagerClient, worker: string, io: CtlIO): Promise<void> {
  if (!worker) throw new UsageError('rm-worker needs the worker: -w WORKER');
  await client.deleteWorker(worker);
  io.out('Successfully removed the worker\n');
}
