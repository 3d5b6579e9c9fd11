/**
 * The frame around every tunasynctl command: resolve the connection, make
 * the client, run the command, and turn any failure into one line on
 * stderr and exit status 1 (a stack trace only with `--debug`).
 */
import { errorMessage, isTunasyncError } from '@tunasync/core';
import { createManagerClient, type ManagerClient } from './client.js';
import { ReportedFailure } from './errors.js';
import type { CtlIO } from './io.js';
import { resolveConnection, type ConnectionFlags, type ConnectionSettings } from './settings.js';
import { escapeTerminalLines, escapeTerminalText } from './terminal-text.js';

/** The flags every command takes. */
export interface CommonFlags extends ConnectionFlags {
  /** `-v/--verbose`: say which files and address are used. */
  verbose?: boolean;
  /** `--debug`: trace requests and show stack traces. */
  debug?: boolean;
}

/** Exit status of a failed command (tunasync's). */
export const EXIT_FAILURE = 1;

function stackOf(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  while (e !== undefined) {
    parts.push(e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e));
    e = e instanceof Error ? e.cause : undefined;
    if (e !== undefined) parts.push('caused by:');
  }
  return parts.join('\n');
}

/**
 * Writes `err` to stderr as `tunasynctl: <message>` (the whole chain of
 * stacks when `debug`), and returns the exit status.
 */
export function reportError(err: unknown, io: CtlIO, debug = false): number {
  if (err instanceof ReportedFailure) return EXIT_FAILURE;
  const message = errorMessage(err).trim() || (isTunasyncError(err) ? err.code : 'unknown error');
  // ConfigError lists several problems on several lines; everything else is one line.
  // Messages may quote the manager: no control character reaches the terminal.
  io.err(`tunasynctl: ${escapeTerminalLines(message)}\n`);
  if (debug) io.err(`${escapeTerminalLines(stackOf(err))}\n`);
  return EXIT_FAILURE;
}

/**
 * Runs `action` with a client for the manager the flags and ctl.conf name
 * (and the settings resolved, for defaults such as the output mode).
 * Returns the exit status: 0, or 1 after reporting the error.
 */
export async function withManager(
  flags: CommonFlags,
  io: CtlIO,
  action: (client: ManagerClient, settings: ConnectionSettings) => Promise<void>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  try {
    const settings = resolveConnection(flags, env);
    for (const w of settings.warnings) io.err(`tunasynctl: warning: ${escapeTerminalLines(w)}\n`);
    if (flags.verbose || flags.debug) {
      for (const f of settings.files) io.err(`Loading config: ${f}\n`);
      io.err(`Use manager address: ${settings.baseUrl}\n`);
      io.err(`Token: ${settings.tokenSource === 'none' ? 'none' : `from ${settings.tokenSource}`}\n`);
    }
    const client = createManagerClient({
      baseUrl: settings.baseUrl,
      ...(settings.caCert ? { caCert: settings.caCert } : {}),
      ...(settings.clientCert ? { clientCert: settings.clientCert, clientKey: settings.clientKey } : {}),
      ...(settings.token ? { token: settings.token } : {}),
      ...(flags.debug ? { trace: (line: string) => io.err(`debug: ${escapeTerminalText(line)}\n`) } : {}),
    });
    await action(client, settings);
    return 0;
  } catch (err) {
    return reportError(err, io, flags.debug);
  }
}
