/**
 * Builders for the TLS end-to-end test: a PKI made with this package only,
 * a real manager started from manager.conf text and a real worker from
 * worker.conf text (the keys the README documents), log capture, poll-until.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseManagerConfig, type Logger } from '@tunasync/core';
import type { RunningManager } from '@tunasync/manager';
import type { Worker } from '@tunasync/worker';
import { createCa, createHostCertificate } from '@tunasync/certs';
import { createTestWorker, startTestManager } from '@tunasync/testkit';

export { captureLogger, until } from '@tunasync/testkit';

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
  return startTestManager({
    config,
    commandTimeoutMs: 5000,
    ...(logger ? { logger } : {}),
  });
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
export function createTlsWorker(dir: string, name: string, tls: WorkerTls, mirrors: string, logger: Logger, registerWaitMs = 3000): Promise<Worker> {
  return createTestWorker({
    dir: join(dir, name),
    file: join(dir, `${name}.conf`),
    name,
    apiBase: tls.apiBase,
    global: { interval: 600 },
    manager: {
      ca_cert: tls.caCert,
      ...(tls.clientCert ? { client_cert: tls.clientCert } : {}),
      ...(tls.clientKey ? { client_key: tls.clientKey } : {}),
    },
    server: { ssl_cert: tls.cert, ssl_key: tls.key },
    mirrors,
    strict: true,
    options: { logger, registerWaitMs },
  });
}

/** A `command` mirror running `true`. */
export const trueMirror = (name: string): string => `[[mirrors]]\nname = ${toml(name)}\nprovider = "command"\nupstream = "https://upstream.example/"\ncommand = "true"\n`;
