/**
 * A transport failure between tunasynctl and the manager as one
 * ManagerRequestError whose message says what was tried and what to check
 * (refused, timeout, TLS trust, host name, http vs https, client
 * certificate).
 */
import { errorMessage } from '@tunasync/core';
import { ManagerRequestError } from './errors.js';

const TLS_CODES = /^(ERR_TLS_|ERR_SSL_|EPROTO$|CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_|ERR_OSSL_|HOSTNAME_MISMATCH)/;
const NETWORK_WORDS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EPIPE: 'connection closed',
};

function rootCause(err: unknown): { code: string; message: string } {
  let e: unknown = err;
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  const code = (e as { code?: unknown }).code ?? (err as { code?: unknown }).code;
  let message = errorMessage(e);
  // OpenSSL's text ("write EPROTO 80…:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:…") → its reason.
  const ssl = /error:[0-9A-Fa-f]+:SSL routines:[^:]*:([^:]+)/.exec(message);
  if (ssl) message = ssl[1]!;
  return { code: typeof code === 'string' ? code : '', message: message.replace(/\s+/g, ' ').replace(/[\s:]+$/, '').trim() };
}

/** Turns a transport failure into a ManagerRequestError naming what was tried. */
export function transportError(err: unknown, url: string, baseUrl: string): ManagerRequestError {
  const { code, message } = rootCause(err);
  const https = baseUrl.startsWith('https:');
  if (code === 'ETIMEDOUT' || (err as { name?: string }).name === 'TimeoutError') {
    return new ManagerRequestError('timeout', `the manager at ${baseUrl} did not answer in time`, { url, cause: err });
  }
  if (TLS_CODES.test(code)) {
    const hint = /SELF_SIGNED|UNABLE_TO_|DEPTH_ZERO|CERT_UNTRUSTED/.test(code)
      ? ' (is --ca-cert / ca_cert the CA that signed the manager\'s certificate?)'
      : /ALTNAME|HOSTNAME/.test(code)
        ? ' (the certificate does not name this host: use -m with a name or IP it was issued for)'
        : /certificate required|(bad|unknown) certificate|unknown ca/i.test(message)
          ? ' (the manager wants a client certificate it trusts: --client-cert and --client-key)'
          : https ? ' (does the manager speak https on this port?)' : '';
    return new ManagerRequestError('tls', `TLS with the manager at ${baseUrl} failed: ${message}${hint}`, { url, cause: err });
  }
  if (code === 'ECONNRESET' && https) {
    return new ManagerRequestError('tls', `TLS with the manager at ${baseUrl} failed: connection reset during the handshake (does the manager speak https on this port? does it want a client certificate?)`, { url, cause: err });
  }
  const what = NETWORK_WORDS[code] ?? message;
  const hint = code === 'ECONNRESET' && !https ? ' (if the manager uses https, give --ca-cert)' : '';
  return new ManagerRequestError('unreachable', `cannot reach the manager at ${baseUrl}: ${what}${hint}`, { url, cause: err });
}
