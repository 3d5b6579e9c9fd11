/**
 * Which output a listing command (`list`, `workers`, `history`, `mirror`,
 * `stale`) draws when no `--format` is given: `-o/--output` first, then
 * TUNASYNCTL_OUTPUT, then ctl.conf `output`; `auto` (the default) is a table
 * when standard output is a terminal and tunasync's JSON when it is piped.
 */
import type { CtlIO } from './io.js';
import type { OutputSetting } from './settings.js';

/** How output is drawn when no `--format` is given. */
export type OutputMode = 'json' | 'table';

/** The output mode for a command: the flag, else the setting; `auto` decided by the terminal. */
export function chooseOutput(flag: OutputMode | undefined, setting: OutputSetting | undefined, io: Pick<CtlIO, 'interactive'>): OutputMode {
  const wanted = flag ?? setting ?? 'auto';
  if (wanted !== 'auto') return wanted;
  return io.interactive ? 'table' : 'json';
}
