/**
 * Which jobs a command line names: mirror names and shell-style globs,
 * resolved against the jobs the manager lists for its registered workers
 * (`GET /workers`, then each worker's `GET /workers/:id/jobs`: `GET /jobs`
 * does not say which worker runs a job), or only worker W's with `-w W`.
 * Without `-w`, a mirror on exactly one worker goes to it; a mirror on
 * several is a problem that lists them. Nothing is acted on here.
 */
import type { ManagerClient } from './client.js';
import { UsageError } from './errors.js';
import { globToRegExp, isGlob } from './glob.js';
import { escapeTerminalText } from './terminal-text.js';

/** One job: a mirror on a worker. */
export interface JobRef {
  worker: string;
  mirror: string;
}

/** What a list of words names: the jobs, in the order named, and the words that name none or too many. */
export interface TargetResolution {
  targets: JobRef[];
  /** One line each, for a person (values escaped). */
  problems: string[];
}

const shown = escapeTerminalText;

/**
 * Every job of the registered workers (or of `worker` alone), by worker in
 * the manager's order. A worker removed while being read is skipped.
 */
export async function listJobRefs(client: ManagerClient, worker?: string): Promise<JobRef[]> {
  if (worker !== undefined) return (await client.listWorkerJobs(worker)).map((j) => ({ worker, mirror: j.name }));
  const workers = await client.listWorkers();
  const lists = await Promise.all(
    workers.map(async (w) => {
      try {
        return (await client.listWorkerJobs(w.id)).map((j) => ({ worker: w.id, mirror: j.name }));
      } catch {
        return [];
      }
    }),
  );
  return lists.flat();
}

/** The names in `refs` that `word` names: the matches of a glob, or the word itself. */
function namesOf(word: string, refs: readonly JobRef[]): string[] {
  if (!isGlob(word)) return [word];
  let re: RegExp;
  try {
    re = globToRegExp(word);
  } catch {
    throw new UsageError(`${shown(word)} is not a valid glob`);
  }
  return [...new Set(refs.filter((r) => re.test(r.mirror)).map((r) => r.mirror))];
}

/**
 * Resolves `words` (names and globs) against `refs`. With `worker`, every
 * name is taken to be on it; without, a name on several workers is a
 * problem. A glob that matches nothing and a name no worker has are problems.
 */
export function resolveTargets(words: readonly string[], refs: readonly JobRef[], worker?: string): TargetResolution {
  const targets: JobRef[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  const add = (ref: JobRef): void => {
    const key = `${ref.worker}\u0000${ref.mirror}`;
    if (!seen.has(key)) {
      seen.add(key);
      targets.push(ref);
    }
  };
  const on = worker !== undefined ? ` on worker ${shown(worker)}` : '';
  for (const word of words) {
    if (word === '') {
      problems.push('a mirror name must not be empty');
      continue;
    }
    const names = namesOf(word, refs);
    if (names.length === 0) {
      problems.push(`no mirror matches ${shown(word)}${on}`);
      continue;
    }
    for (const name of names) {
      const workers = refs.filter((r) => r.mirror === name).map((r) => r.worker);
      if (workers.length === 0) problems.push(worker !== undefined ? `worker ${shown(worker)} has no mirror ${shown(name)}` : `no worker has a mirror ${shown(name)}`);
      else if (worker !== undefined) add({ worker, mirror: name });
      else if (workers.length === 1) add({ worker: workers[0]!, mirror: name });
      else problems.push(`${shown(name)} is on several workers: ${workers.map(shown).join(', ')} (choose one with -w WORKER)`);
    }
  }
  return { targets, problems };
}

/**
 * The worker of one mirror named without `-w` (set-size, set-status): the
 * only worker that has it; a UsageError naming the workers otherwise.
 */
export async function workerOf(client: ManagerClient, mirror: string): Promise<string> {
  if (isGlob(mirror)) throw new UsageError(`give one mirror, not a glob (${shown(mirror)})`);
  const { targets, problems } = resolveTargets([mirror], await listJobRefs(client));
  if (problems.length > 0) throw new UsageError(problems.join('; '));
  return targets[0]!.worker;
}
