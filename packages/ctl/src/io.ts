/**
 * Where command output goes, injectable so the commands can run inside
 * another program (or a test) and write somewhere else.
 */

/** Output streams and terminal facts for a command. */
export interface CtlIO {
  /** Writes to standard output (results: JSON, lines, tables). */
  out(text: string): void;
  /** Writes to standard error (errors, warnings, `-v` notes). */
  err(text: string): void;
  /** Whether tables may use ANSI colours. */
  color: boolean;
  /** Whether standard output is a terminal (`history` then draws a table by default); unset means no. */
  interactive?: boolean;
  /** The current time, for relative times. */
  now(): Date;
}

/**
 * Colour on a terminal only: `NO_COLOR` (any value) turns it off,
 * `FORCE_COLOR` (other than `0`) turns it on.
 */
export function wantsColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false') return true;
  return stream.isTTY === true;
}

/** The process's own stdout and stderr. */
export function processIO(env: NodeJS.ProcessEnv = process.env): CtlIO {
  return {
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    color: wantsColor(process.stdout, env),
    interactive: process.stdout.isTTY === true,
    now: () => new Date(),
  };
}
