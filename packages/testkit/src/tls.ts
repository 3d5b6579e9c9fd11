/** Certificates made with the `openssl` program (the referee for TLS in the tests), fresh for every call. */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** Paths of the PEM files `makeTlsFiles` writes. */
export interface TlsFiles {
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A CA that signed nothing here. */
  otherCaCert: string;
  /** A server certificate (signed by the CA) for elsewhere.example only. */
  elsewhereCert: string;
  elsewhereKey: string;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/**
 * Writes into `dir` a CA, a server certificate for 127.0.0.1/localhost, a
 * client certificate, a second CA that signed nothing, and a server
 * certificate for another host name; all P-256, valid two days.
 */
export async function makeTlsFiles(dir: string): Promise<TlsFiles> {
  const openssl = (...args: string[]): Promise<unknown> => exec('openssl', args, { cwd: dir });
  const ca = (name: string): Promise<unknown> =>
    openssl('req', '-x509', ...EC, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${name}`);
  const signed = async (name: string, ext: string): Promise<void> => {
    writeFileSync(join(dir, `${name}.ext`), ext);
    await openssl('req', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    await openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial',
      '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`);
  };
  await ca('ca');
  await ca('other-ca');
  await signed('server', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  await signed('client', 'extendedKeyUsage=clientAuth\n');
  await signed('elsewhere', 'subjectAltName=DNS:elsewhere.example\nextendedKeyUsage=serverAuth\n');
  const p = (f: string): string => join(dir, f);
  return {
    caCert: p('ca.crt'), serverCert: p('server.crt'), serverKey: p('server.key'),
    clientCert: p('client.crt'), clientKey: p('client.key'), otherCaCert: p('other-ca.crt'),
    elsewhereCert: p('elsewhere.crt'), elsewhereKey: p('elsewhere.key'),
  };
}
