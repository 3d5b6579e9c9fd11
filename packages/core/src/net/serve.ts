/**
 * HTTP or HTTPS servers for both daemons' listeners, created and bound the
 * same way. Nothing here runs until a daemon calls it.
 */
import http from 'node:http';
import https from 'node:https';
import { isIP, type AddressInfo } from 'node:net';
import { ConfigError } from '../errors.js';
import { readPemFile } from './pem.js';

/** The TLS keys of a `[server]` section; empty strings mean unset. */
export interface ServerTlsFiles {
  /** Config file the keys come from (named in errors). */
  configFile: string;
  /** `[server] ssl_cert`. */
  sslCert: string;
  /** `[server] ssl_key`. */
  sslKey: string;
  /** `[server] client_ca`: require client certificates signed by it (mTLS). */
  clientCa?: string;
}

/** Problems with a `[server]` TLS key set: cert and key go together; client_ca needs both. */
export function serverTlsProblems(tls: ServerTlsFiles): ConfigError['issues'] {
  const { configFile: file, sslCert, sslKey, clientCa } = tls;
  if (!sslCert && !sslKey) {
    return clientCa ? [{ file, path: 'server.client_ca', message: 'needs ssl_cert and ssl_key (client certificates only work over TLS)' }] : [];
  }
  if (!sslCert || !sslKey) return [{ file, path: sslCert ? 'server.ssl_key' : 'server.ssl_cert', message: 'ssl_cert and ssl_key must be set together' }];
  return [];
}

/**
 * Creates an HTTP server, or HTTPS when cert and key are set (requiring client
 * certificates when `clientCa` is). A ConfigError names the key at fault.
 */
export function createServerFor(tls: ServerTlsFiles, app: http.RequestListener): http.Server | https.Server {
  const problems = serverTlsProblems(tls);
  if (problems.length > 0) throw new ConfigError(problems);
  if (!tls.sslCert) return http.createServer(app);
  const { configFile: file } = tls;
  return https.createServer(
    {
      cert: readPemFile(tls.sslCert, file, 'server.ssl_cert'),
      key: readPemFile(tls.sslKey, file, 'server.ssl_key'),
      ...(tls.clientCa ? { ca: readPemFile(tls.clientCa, file, 'server.client_ca'), requestCert: true, rejectUnauthorized: true } : {}),
    },
    app,
  );
}

/** Binds `server` to `addr:port` (port 0: any free port); resolves with the bound address. */
export function listenOn(server: http.Server, addr: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(port, addr, () => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** `http` or `https`, by the server's class. */
export function serverProtocol(server: http.Server): 'http' | 'https' {
  return server instanceof https.Server ? 'https' : 'http';
}

/** True for addresses only this host can reach: `localhost`, 127.0.0.0/8 and ::1. */
export function isLoopback(addr: string): boolean {
  if (addr === 'localhost') return true;
  if (isIP(addr) === 4) return addr.startsWith('127.');
  if (isIP(addr) === 6) return addr === '::1';
  return false;
}
