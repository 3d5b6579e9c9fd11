/**
 * The HTTP client every component uses to talk to another (worker → manager,
 * manager → worker, ctl → manager): got with the CA file, an optional client
 * certificate, a bearer token, a timeout and bounded retries.
 */
import { readFileSync } from 'node:fs';
import { got, type Got, type Method } from 'got';

/** Options of createHttpClient. */
export interface HttpClientOptions {
  /** PEM file of the CA that signed the peer's certificate (`ca_cert`). */
  caFile?: string;
  /** Client certificate and key (PEM files) for mTLS. */
  clientCertFile?: string;
  clientKeyFile?: string;
  /** Sent as `Authorization: Bearer <token>` when non-empty. */
  token?: string;
  /** Whole-request timeout in milliseconds (default 10 000). */
  timeoutMs?: number;
  /** Retries on network errors and 5xx (default 2; 0 disables). */
  retries?: number;
  /** Methods that may be retried (default GET only: POSTs are retried only when the caller says they are idempotent). */
  retryMethods?: Method[];
  /** Base URL that relative paths resolve against. */
  prefixUrl?: string;
}

/** Creates a got instance with tunasync-ts's defaults; JSON bodies are parsed. */
export function createHttpClient(options: HttpClientOptions = {}): Got {
  const headers: Record<string, string> = { 'user-agent': 'tunasync-ts' };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  return got.extend({
    ...(options.prefixUrl ? { prefixUrl: options.prefixUrl } : {}),
    headers,
    timeout: { request: options.timeoutMs ?? 10_000 },
    retry: {
      limit: options.retries ?? 2,
      methods: options.retryMethods ?? ['GET'],
      backoffLimit: 2_000,
    },
    https: {
      ...(options.caFile ? { certificateAuthority: readFileSync(options.caFile) } : {}),
      ...(options.clientCertFile ? { certificate: readFileSync(options.clientCertFile) } : {}),
      ...(options.clientKeyFile ? { key: readFileSync(options.clientKeyFile) } : {}),
    },
    responseType: 'json',
  });
}
