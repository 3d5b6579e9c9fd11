/**
 * `tunasynctl completion [bash|zsh|fish]`: yargs writes the script and
 * answers the shell's `--get-yargs-completions` calls; it picks the script's
 * shell from `$SHELL`, so an explicit shell argument is applied to the
 * environment before yargs starts. Where a mirror or worker name goes, the
 * names come from the manager (completionNeed says which, completeNames
 * asks; a manager that does not answer in 2 s completes nothing).
 */
import { SYNC_STATUSES } from '@tunasync/core';
import { createManagerClient } from './client.js';
import { UsageError } from './errors.js';
import type { CtlIO } from './io.js';
import { resolveConnection, type ConnectionFlags } from './settings.js';

/** Shells a completion script can be printed for. */
export const COMPLETION_SHELLS = ['bash', 'zsh', 'fish'] as const;

/** Commands whose positional words are mirror names (every one of them, or only the first). */
const MIRROR_WORDS: Record<string, 'all' | 'first'> = {
  start: 'all', stop: 'all', disable: 'all', restart: 'all', ping: 'first', watch: 'all',
  history: 'first', mirror: 'first', 'set-size': 'first', 'set-status': 'first', logs: 'first',
};

/** Options that take a value (the next word), so that value is no positional. */
const VALUE_OPTIONS = new Set([
  '-w', '--worker', '-m', '--manager', '-p', '--port', '-c', '--config', '--ca-cert', '--client-cert', '--client-key', '--token',
  '-s', '--status', '-f', '--format', '-o', '--output', '-n', '--limit', '--before', '--at', '--size', '--message', '--interval',
]);

/** What the word being completed is. */
export type CompletionNeed =
  | { kind: 'default' }
  | { kind: 'values'; values: string[] }
  | { kind: 'workers' }
  | { kind: 'mirrors'; worker?: string };

/**
 * The words of a `--get-yargs-completions` call, the one being completed
 * last, without the program's own name (bash and zsh pass it, fish not).
 */
export function completionWords(args: readonly string[]): string[] {
  const i = args.indexOf('--get-yargs-completions');
  const words = i < 0 ? [...args] : args.slice(i + 1);
  if (words.length > 1 && /(^|\/)(tunasynctl|cli\.js)$/.test(words[0]!)) words.shift();
  return words.length ? words : [''];
}

/** The value of option `names` among `words` (`-w X`, `--worker X`, `--worker=X`). */
export function optionValue(words: readonly string[], ...names: string[]): string | undefined {
  let found: string | undefined;
  for (let i = 0; i < words.length - 1; i += 1) {
    const w = words[i]!;
    if (names.includes(w)) found = words[i + 1];
    for (const n of names) if (n.startsWith('--') && w.startsWith(`${n}=`)) found = w.slice(n.length + 1);
  }
  return found;
}

/** Decides what the last of `words` should complete to. */
export function completionNeed(words: readonly string[]): CompletionNeed {
  const current = words[words.length - 1] ?? '';
  const prev = words[words.length - 2];
  if (prev === '-w' || prev === '--worker') return { kind: 'workers' };
  if (prev === '-o' || prev === '--output') return { kind: 'values', values: ['json', 'table'] };
  if (prev === '-s' || prev === '--status') return { kind: 'values', values: [...SYNC_STATUSES] };
  if (current.startsWith('-')) return { kind: 'default' };
  const positionals: string[] = [];
  for (let i = 0; i < words.length - 1; i += 1) {
    const w = words[i]!;
    if (VALUE_OPTIONS.has(w)) i += 1;
    else if (!w.startsWith('-')) positionals.push(w);
  }
  const [command, ...before] = positionals;
  if (command === undefined) return { kind: 'default' };
  if (command === 'list') return { kind: 'workers' };
  if (command === 'set-status' && before.length === 1) return { kind: 'values', values: ['success', 'failed'] };
  const which = MIRROR_WORDS[command];
  if (which === 'all' || (which === 'first' && before.length === 0)) {
    const worker = optionValue(words, '-w', '--worker');
    return { kind: 'mirrors', ...(worker !== undefined ? { worker } : {}) };
  }
  return which ? { kind: 'values', values: [] } : { kind: 'default' };
}

/** The connection flags written among `words`, for asking the manager while completing. */
export function completionFlags(words: readonly string[]): ConnectionFlags {
  const flags: ConnectionFlags = {};
  const set = <K extends keyof ConnectionFlags>(key: K, value: ConnectionFlags[K] | undefined): void => {
    if (value !== undefined) flags[key] = value;
  };
  set('config', optionValue(words, '-c', '--config'));
  set('manager', optionValue(words, '-m', '--manager'));
  const port = optionValue(words, '-p', '--port');
  set('port', port === undefined ? undefined : Number(port));
  set('caCert', optionValue(words, '--ca-cert'));
  set('clientCert', optionValue(words, '--client-cert'));
  set('clientKey', optionValue(words, '--client-key'));
  set('token', optionValue(words, '--token'));
  return flags;
}

/** Worker ids or mirror names from the manager, sorted, without repeats; any failure gives none. */
export async function completeNames(flags: ConnectionFlags, need: { kind: 'workers' } | { kind: 'mirrors'; worker?: string }, env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  try {
    const s = resolveConnection(flags, env);
    const client = createManagerClient({
      baseUrl: s.baseUrl,
      timeoutMs: 2000,
      ...(s.caCert ? { caCert: s.caCert } : {}),
      ...(s.clientCert ? { clientCert: s.clientCert, clientKey: s.clientKey } : {}),
      ...(s.token ? { token: s.token } : {}),
    });
    const names =
      need.kind === 'workers'
        ? (await client.listWorkers()).map((w) => w.id)
        : need.worker !== undefined
          ? (await client.listWorkerJobs(need.worker)).map((j) => j.name)
          : (await client.listJobs()).map((j) => j.name);
    // Names a shell word cannot hold as it is are left out rather than mangled.
    return [...new Set(names)].filter((n) => /^[A-Za-z0-9._@+-]+$/.test(n)).sort();
  } catch {
    return [];
  }
}

/**
 * When `args` is `completion SHELL`, makes yargs produce that shell's
 * script (by setting `SHELL` in `env`) and returns the arguments for yargs
 * without the shell word; other arguments come back unchanged. Throws a
 * UsageError for a shell without a script.
 */
export function selectCompletionShell(args: readonly string[], env: NodeJS.ProcessEnv): string[] {
  if (args[0] !== 'completion' || args[1] === undefined || args[1].startsWith('-')) return [...args];
  const shell = args[1];
  if (!(COMPLETION_SHELLS as readonly string[]).includes(shell)) {
    throw new UsageError(`completion scripts exist for bash, zsh and fish, not ${JSON.stringify(shell)}`);
  }
  env.SHELL = `/bin/${shell}`;
  delete env.ZSH_NAME;
  return [args[0], ...args.slice(2)];
}

/**
 * Answers a shell's `--get-yargs-completions` call when the word is a name
 * or a value (one per line on stdout) and returns true; false leaves the
 * call to yargs (commands and options).
 */
export async function answerCompletion(args: readonly string[], io: Pick<CtlIO, 'out'>, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  if (!args.includes('--get-yargs-completions')) return false;
  const words = completionWords(args);
  const need = completionNeed(words);
  if (need.kind === 'default') return false;
  const current = words[words.length - 1] ?? '';
  const names = need.kind === 'values' ? need.values : await completeNames(completionFlags(words), need, env);
  for (const n of names) if (n.startsWith(current)) io.out(`${n}\n`);
  return true;
}
