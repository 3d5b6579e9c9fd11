/**
 * `tunasynctl completion [bash|zsh]`: yargs writes the script and answers
 * the shell's `--get-yargs-completions` calls; it picks the script's shell
 * from `$SHELL`, so an explicit shell argument is applied to the
 * environment before yargs starts.
 */
import { UsageError } from './errors.js';

/** Shells a completion script can be printed for. */
export const COMPLETION_SHELLS = ['bash', 'zsh'] as const;

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
    throw new UsageError(`completion scripts exist for ${COMPLETION_SHELLS.join(' and ')}, not ${JSON.stringify(shell)}`);
  }
  env.SHELL = `/bin/${shell}`;
  delete env.ZSH_NAME;
  return [args[0], ...args.slice(2)];
}
