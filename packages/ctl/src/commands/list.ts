/**
 * `tunasynctl list [-a] [-s STATUSES] [-f FORMAT] [-o json|table] [WORKER…]`.
 * With `--all` it reads `GET /jobs` (WebMirrorStatus, as tunasync);
 * otherwise each named worker's `GET /workers/:id/jobs` (MirrorStatus), in
 * the order given. Output: indented JSON (tunasync's, when piped), one
 * templated line per job, or a table (at a terminal).
 */
import {
  SYNC_STATUSES,
  isSyncStatus,
  serializeMirrorStatus,
  serializeWebMirrorStatus,
  type MirrorStatus,
  type SyncStatus,
  type WebMirrorStatus,
} from '@tunasync/core';
import type { ManagerClient } from '../client.js';
import { UsageError } from '../errors.js';
import { compileFormat, mirrorStatusValue, webMirrorStatusValue, type FormatTemplate } from '../format-template.js';
import type { CtlIO } from '../io.js';
import { chooseOutput, type OutputMode } from '../output.js';
import { jobsTable } from '../table.js';
import { escapeStringFields } from '../terminal-text.js';

export type { OutputMode };

/** Options of the list command. */
export interface ListOptions {
  /** `-a/--all`: every job of every worker. */
  all?: boolean;
  /** Workers whose jobs to list (ignored with `all`, as in tunasync). */
  workers?: string[];
  /** `-s/--status`: comma-separated statuses to keep. */
  status?: string;
  /** `-f/--format`: a Go template, one line per job. */
  format?: string;
  /** `-o/--output`; unset: a table when stdout is a terminal, JSON otherwise. */
  output?: OutputMode;
}

/** Reads `-s none,failed`: every name must be a status; throws a UsageError naming the bad one. */
export function parseStatusFilter(text: string): SyncStatus[] {
  const out: SyncStatus[] = [];
  for (const raw of text.split(',')) {
    const s = raw.trim();
    if (s === '') continue;
    if (!isSyncStatus(s)) throw new UsageError(`unknown status ${JSON.stringify(s)} in --status (known: ${SYNC_STATUSES.join(', ')})`);
    if (!out.includes(s)) out.push(s);
  }
  if (out.length === 0) throw new UsageError(`--status needs at least one of: ${SYNC_STATUSES.join(', ')}`);
  return out;
}

/** Checks the options before anything is fetched. */
function check(opts: ListOptions): { statuses?: SyncStatus[]; template?: FormatTemplate; workers: string[] } {
  const workers = opts.workers ?? [];
  if (!opts.all && workers.length === 0) throw new UsageError('list needs WORKER names or --all');
  if (opts.format !== undefined && opts.output === 'table') throw new UsageError('use --format or --output table, not both');
  if (opts.format !== undefined && opts.format === '') throw new UsageError('--format must not be empty');
  return {
    workers,
    ...(opts.status !== undefined ? { statuses: parseStatusFilter(opts.status) } : {}),
    ...(opts.format !== undefined ? { template: compileFormat(opts.format, opts.all ? 'WebMirrorStatus' : 'MirrorStatus') } : {}),
  };
}

/** Every job of the named workers, in the order the workers were named. */
async function jobsOfWorkers(client: ManagerClient, workers: string[]): Promise<MirrorStatus[]> {
  const lists = await Promise.all(workers.map((w) => client.listWorkerJobs(w)));
  return lists.flat();
}

/**
 * Every job with its worker, for the table with `--all`: GET /jobs does not
 * say which worker runs a job, so the registered workers' jobs are read
 * too. Jobs in /jobs that no registered worker has (a removed worker's:
 * rm-worker leaves its jobs, as tunasync does) follow with no worker.
 */
export async function jobsOfAllWorkers(client: ManagerClient): Promise<MirrorStatus[]> {
  const [workers, web] = await Promise.all([client.listWorkers(), client.listJobs()]);
  const known = await jobsOfWorkers(client, workers.map((w) => w.id));
  const unmatched = new Map<string, number>();
  for (const j of known) unmatched.set(j.name, (unmatched.get(j.name) ?? 0) + 1);
  const orphans: MirrorStatus[] = [];
  for (const j of web) {
    const n = unmatched.get(j.name) ?? 0;
    if (n > 0) unmatched.set(j.name, n - 1);
    else orphans.push({ ...j, worker: '', errorMsg: '' });
  }
  return [...known, ...orphans];
}

/** Runs `list`. */
export async function listCommand(client: ManagerClient, opts: ListOptions, io: CtlIO): Promise<void> {
  const { statuses, template, workers } = check(opts);
  if (opts.all && workers.length > 0) io.err(`tunasynctl: warning: --all lists every worker; ignoring ${workers.join(' ')}\n`);
  const keep = <T extends { status: SyncStatus }>(jobs: T[]): T[] => (statuses ? jobs.filter((j) => statuses.includes(j.status)) : jobs);

  if (!template && chooseOutput(opts.output, undefined, io) === 'table') {
    const jobs = keep(opts.all ? await jobsOfAllWorkers(client) : await jobsOfWorkers(client, workers));
    io.out(jobsTable(jobs, { now: io.now(), color: io.color }));
    return;
  }
  if (opts.all) {
    const jobs: WebMirrorStatus[] = keep(await client.listJobs());
    if (template) for (const j of jobs) io.out(`${template.render(webMirrorStatusValue(escapeStringFields(j)))}\n`);
    else io.out(`${JSON.stringify(jobs.map((j) => serializeWebMirrorStatus(j)), null, 2)}\n`);
    return;
  }
  const jobs = keep(await jobsOfWorkers(client, workers));
  if (template) for (const j of jobs) io.out(`${template.render(mirrorStatusValue(escapeStringFields(j)))}\n`);
  else io.out(`${JSON.stringify(jobs.map(serializeMirrorStatus), null, 2)}\n`);
}
