/**
 * `tunasync-manager import --from URL`: moves a site over from a running
 * tunasync manager (or another of ours) through its API, since tunasync's
 * Bolt/Badger/LevelDB files cannot be read from Node. Copies every worker
 * (`GET /workers`) and every job status of each (`GET /workers/:id/jobs`:
 * times, sizes, upstreams and error messages as they are) into the store
 * manager.conf names. Idempotent: what is already stored as is stays
 * untouched, so a second run changes nothing. tunasync never reveals worker
 * tokens (`"REDACTED"`): imported workers get none, and re-register with
 * their own.
 */
import yargs from 'yargs';
import {
  createHttpClient,
  errorMessage,
  escapeLogText,
  loadManagerConfig,
  parseMirrorStatus,
  parseWebMirrorStatus,
  parseWorkerStatus,
  serializeMirrorStatus,
  serializeWorkerStatus,
  type JobStore,
  type MirrorStatus,
  type WorkerStatus,
} from '@tunasync/core';
import { openJobStore } from './store/open-store.js';

/** What an import did. */
export interface ImportSummary {
  workers: { copied: number; unchanged: number };
  jobs: { copied: number; unchanged: number };
  /** Jobs `GET /jobs` lists under no registered worker (tunasync keeps jobs of deleted workers; their worker is unknown). */
  orphans: string[];
}

/** Options of importFromManager. */
export interface ImportOptions {
  /** The old manager's base URL. */
  from: string;
  /** Bearer token for it (an admin token when it has any). */
  token?: string;
  /** CA file for an HTTPS manager signed by a private CA. */
  caFile?: string;
  /** Where to copy to. */
  store: JobStore;
  /** One line per thing copied or left. */
  print?: (line: string) => void;
}

/** The source is not (or refuses to act as) a tunasync manager. */
export class ImportSourceError extends Error {}

const t = (s: string) => escapeLogText(s);

async function getJson(client: ReturnType<typeof createHttpClient>, base: string, path: string): Promise<unknown> {
  const url = `${base}${path}`;
  let res;
  try {
    res = await client.get(url, { throwHttpErrors: false, responseType: 'text' });
  } catch (err) {
    throw new ImportSourceError(`cannot reach ${url}: ${errorMessage(err)}`);
  }
  if (res.statusCode === 401 || res.statusCode === 403) {
    throw new ImportSourceError(`${url} answered ${res.statusCode}: the manager wants a token; give an admin token with --token`);
  }
  if (res.statusCode !== 200) {
    throw new ImportSourceError(`${base} is not a tunasync manager: GET ${path} answered HTTP ${res.statusCode}`);
  }
  try {
    return JSON.parse(res.body);
  } catch {
    throw new ImportSourceError(`${base} is not a tunasync manager: GET ${path} did not answer JSON (${JSON.stringify(res.body.slice(0, 60))})`);
  }
}

function listOf<T>(json: unknown, base: string, path: string, parse: (v: unknown) => T): T[] {
  // tunasync answers `null` for an empty list.
  if (json === null) return [];
  if (!Array.isArray(json)) throw new ImportSourceError(`${base} is not a tunasync manager: GET ${path} did not answer a JSON list`);
  return json.map((v, i) => {
    try {
      return parse(v);
    } catch (err) {
      throw new ImportSourceError(`${base} is not a tunasync manager: GET ${path} item ${i}: ${errorMessage(err)}`);
    }
  });
}

const sameWorker = (a: WorkerStatus | undefined, b: WorkerStatus) =>
  a !== undefined && JSON.stringify(serializeWorkerStatus(a)) === JSON.stringify(serializeWorkerStatus(b));
const sameStatus = (a: MirrorStatus | undefined, b: MirrorStatus) =>
  a !== undefined && JSON.stringify(serializeMirrorStatus(a)) === JSON.stringify(serializeMirrorStatus(b));

/** Copies workers and job statuses from the manager at `from` into `store`; rejects with ImportSourceError when `from` is not one. */
export async function importFromManager(options: ImportOptions): Promise<ImportSummary> {
  const base = options.from.replace(/\/+$/, '');
  const print = options.print ?? (() => undefined);
  const client = createHttpClient({
    ...(options.token ? { token: options.token } : {}),
    ...(options.caFile ? { caFile: options.caFile } : {}),
    retries: 1,
  });
  const workers = listOf(await getJson(client, base, '/workers'), base, '/workers', parseWorkerStatus);
  const web = listOf(await getJson(client, base, '/jobs'), base, '/jobs', parseWebMirrorStatus);
  const summary: ImportSummary = { workers: { copied: 0, unchanged: 0 }, jobs: { copied: 0, unchanged: 0 }, orphans: [] };
  const seen = new Set<string>();
  for (const w0 of workers) {
    const w = { ...w0, token: w0.token === 'REDACTED' ? '' : w0.token };
    const path = `/workers/${encodeURIComponent(w.id)}/jobs`;
    const jobs = listOf(await getJson(client, base, path), base, path, parseMirrorStatus);
    if (sameWorker(await options.store.getWorker(w.id), w)) {
      summary.workers.unchanged++;
      print(`worker ${t(w.id)} (${t(w.url)}): unchanged`);
    } else {
      await options.store.createWorker(w);
      summary.workers.copied++;
      print(`worker ${t(w.id)} (${t(w.url)}): copied`);
    }
    for (const j0 of jobs) {
      const j = { ...j0, worker: w.id };
      seen.add(j.name);
      const what = `job ${t(j.name)} @ ${t(w.id)}: ${j.status}, size ${t(j.size || '-')}`;
      if (sameStatus(await options.store.getMirrorStatus(w.id, j.name), j)) {
        summary.jobs.unchanged++;
        print(`${what}: unchanged`);
        continue;
      }
      await options.store.updateMirrorStatus(w.id, j.name, () => j);
      summary.jobs.copied++;
      print(`${what}: copied`);
    }
  }
  for (const j of web) {
    if (seen.has(j.name)) continue;
    summary.orphans.push(j.name);
    print(`job ${t(j.name)}: not copied (listed by GET /jobs under no registered worker)`);
  }
  return summary;
}

/** `tunasync-manager import …`: resolves the exit code (1 with a message when the source or the store cannot be used). */
export async function runImportCli(args: string[], scriptName = 'tunasync-manager'): Promise<number> {
  const argv = await yargs(args)
    .scriptName(`${scriptName} import`)
    .usage(
      '$0 --from URL [--token T] [-c manager.conf]\n\n' +
        'Copies every worker and job status from a running tunasync manager into the store manager.conf names (idempotent).',
    )
    .options({
      from: { type: 'string', demandOption: true, describe: 'base URL of the old manager (e.g. http://old-manager:14242)' },
      token: { type: 'string', describe: 'bearer token for the old manager (an admin token)' },
      'ca-cert': { type: 'string', describe: 'CA file for an HTTPS old manager' },
      config: { alias: 'c', type: 'string', describe: 'manager.conf of the new manager (its [files] store)' },
    })
    .strict()
    .help()
    .parseAsync();
  const out = (line: string) => process.stdout.write(`${line}\n`);
  let store: JobStore | undefined;
  try {
    const { config } = loadManagerConfig(argv.config);
    store = await openJobStore(config.files);
    const s = await importFromManager({
      from: argv.from,
      store,
      print: out,
      ...(argv.token ? { token: argv.token } : {}),
      ...(argv['ca-cert'] ? { caFile: argv['ca-cert'] } : {}),
    });
    out(
      `imported from ${t(argv.from)}: ${s.workers.copied} worker(s) copied, ${s.workers.unchanged} unchanged; ` +
        `${s.jobs.copied} job(s) copied, ${s.jobs.unchanged} unchanged` +
        (s.orphans.length ? `; ${s.orphans.length} job(s) of no registered worker not copied` : ''),
    );
    return 0;
  } catch (err) {
    process.stderr.write(`${scriptName} import: ${errorMessage(err)}\n`);
    return 1;
  } finally {
    await store?.close().catch(() => undefined);
  }
}
