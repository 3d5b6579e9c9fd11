/**
 * The connection for tunasynctl's log commands (the same settings as every
 * other request, resolved from the flags and ctl.conf), and Ctrl-C as an
 * abort signal that stops following without touching the job.
 */
import type { LogConnection } from './log-client.js';
import { resolveConnection, type ConnectionFlags } from './settings.js';

/** The manager's address, CA, client certificate and token for `flags`. */
export function logConnection(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): LogConnection {
  const s = resolveConnection(flags, env);
  return {
    baseUrl: s.baseUrl,
    ...(s.caCert ? { caCert: s.caCert } : {}),
    ...(s.clientCert ? { clientCert: s.clientCert, clientKey: s.clientKey } : {}),
    ...(s.token ? { token: s.token } : {}),
  };
}

/** A signal aborted by the first SIGINT, SIGTERM or SIGHUP (each listener fires once). */
export function interruptSignal(): AbortSignal {
  const controller = new AbortController();
  const stop = (): void => controller.abort(new Error('interrupted'));
  // Ctrl-C (when the terminal is not in raw mode), kill, a closed terminal.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, stop);
  return controller.signal;
}
