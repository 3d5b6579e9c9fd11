/**
 * Builders for the TLS end-to-end test: a PKI made with this package only,
 * a real manager started from manager.conf text and a real worker from
 * worker.conf text (the keys the README documents), log capture, poll-until.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger, parseManagerConfig, parseWorkerConfig, type Logger } from '@tunasync/core';
import { startManager, type RunningManager } from '@tunasync/manager';
import { createWorker, type Worker } from '@tunasync/worker';
import { createCa, createHostCertificate } from '@tunasync/certs';

/** Every PEM file of the test PKI. */
export interface Pki {
  /** Our root CA (the one every component trusts). */
  caCert: string;
  managerCert: string;
  managerKey: string;
  workerCert: string;
  workerKey: string;
  /** A root CA nobody trusts, and a certificate for 127.0.0.1 it signed. */
  otherCaCert: string;
  impostorCert: string;
  impostorKey: string;
}

/** Makes the PKI under `dir` the way the README's walkthrough does. */
export async function makePki(dir: string): Promise<Pki> {
  const ca = await createCa({ outDir: join(dir, 'ca') });
  const host = (caDir: string, name: string): ReturnType<typeof createHostCertificate> =>
    createHostCertificate({ caDir, name, dns: ['localhost'], ip: ['127.0.0.1'], outDir: join(dir, 'hosts') });
  const manager = await host(join(dir, 'ca'), 'manager');
  const worker = await host(join(dir, 'ca'), 'worker1');
  const other = await createCa({ outDir: join(dir, 'other-ca'), commonName: 'Some other CA' });
  const impostor = await host(join(dir, 'other-ca'), 'impostor');
  return {
    caCert: ca.certFile,
    managerCert: manager.certFile,
    managerKey: manager.keyFile,
    workerCert: worker.certFile,
    workerKey: worker.keyFile,
    otherCaCert: other.certFile,
    impostorCert: impostor.certFile,
    impostorKey: impostor.keyFile,
  };
}

/** A logger whose lines the test can read. */
export function captureLogger(): { logger: Logger; text: () => string } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { logger: createLogger({ stream, systemd: true }), text: () => lines.join('') };
}

/** Polls `fn` until it returns something other than undefined (or throws after `timeoutMs`). */
export async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await Promise.resolve().then(fn).catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const toml = (v: string): string => JSON.stringify(v);

/** Starts a real manager from manager.conf text: HTTPS with `cert`/`key`, `[files] ca_cert`, optional `client_ca`. */
export async function startHttpsManager(
  dir: string,
  name: string,
  tls: { cert: string; key: string; caCert: string; clientCa?: string },
  logger?: Logger,
): Promise<RunningManager> {
  const text = [
    '[server]',
    'addr = "127.0.0.1"',
    'port = 0',
    `ssl_cert = ${toml(tls.cert)}`,
    `ssl_key = ${toml(tls.key)}`,
    ...(tls.clientCa ? [`client_ca = ${toml(tls.clientCa)}`] : []),
    '[files]',
    'db_type = "sqlite"',
    `db_file = ${toml(join(dir, `${name}.db`))}`,
    `ca_cert = ${toml(tls.caCert)}`,
    '',
  ].join('\n');
  const file = join(dir, `${name}.conf`);
  writeFileSync(file, text);
  const { config, warnings } = parseManagerConfig(text, file);
  if (warnings.length > 0) throw new Error(`manager.conf warnings: ${warnings.join('; ')}`);
  return startManager(config, { commandTimeoutMs: 5000, ...(logger ? { logger } : {}) });
}

/** What a test worker's worker.conf says about TLS. */
export interface WorkerTls {
  /** `[manager] api_base`. */
  apiBase: string;
  /** `[manager] ca_cert`. */
  caCert: string;
  /** `[server] ssl_cert` / `ssl_key`: the control server's certificate. */
  cert: string;
  key: string;
  /** `[manager] client_cert` / `client_key`, for managers with client_ca. */
  clientCert?: string;
  clientKey?: string;
}

/** Creates a real worker from worker.conf text (control server on 127.0.0.1:0); the caller starts it. `start()` waits up to `registerWaitMs` for the manager. */
export async function createTlsWorker(dir: string, name: string, tls: WorkerTls, mirrors: string, logger: Logger, registerWaitMs = 3000): Promise<Worker> {
  const text = [
    '[global]',
    `name = ${toml(name)}`,
    `log_dir = ${toml(join(dir, name, 'log', '{{.Name}}'))}`,
    `mirror_dir = ${toml(join(dir, name, 'data'))}`,
    'interval = 600',
    '[manager]',
    `api_base = ${toml(tls.apiBase)}`,
    `ca_cert = ${toml(tls.caCert)}`,
    ...(tls.clientCert ? [`client_cert = ${toml(tls.clientCert)}`] : []),
    ...(tls.clientKey ? [`client_key = ${toml(tls.clientKey)}`] : []),
    '[server]',
    'hostname = "127.0.0.1"',
    'listen_addr = "127.0.0.1"',
    'listen_port = 0',
    `ssl_cert = ${toml(tls.cert)}`,
    `ssl_key = ${toml(tls.key)}`,
    mirrors,
  ].join('\n');
  const file = join(dir, `${name}.conf`);
  writeFileSync(file, text);
  const { config, warnings } = parseWorkerConfig(text, file);
  if (warnings.length > 0) throw new Error(`worker.conf warnings: ${warnings.join('; ')}`);
  return createWorker({ config, logger, graceMs: 300, maxBackoffMs: 200, registerWaitMs });
}

/** A `command` mirror running `true`. */
export const trueMirror = (name: string): string => `[[mirrors]]\nname = ${toml(name)}\nprovider = "command"\nupstream = "https://upstream.example/"\ncommand = "true"\n`;
