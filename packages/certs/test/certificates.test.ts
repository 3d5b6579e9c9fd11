/**
 * createCa and createHostCertificate, judged by openssl: the chain verifies,
 * the extensions and every subjectAltName are there, the CSR verifies, the
 * serial file counts as openssl's does, keys are 0600.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CA_FILES, DEFAULT_SUBJECT, caPaths, createCa, createHostCertificate, readSerialFile, type CreatedCa } from '@tunasync/certs';
import { openssl, tempDir } from './helpers.js';

const mode = (file: string): number => statSync(file).mode & 0o777;

let t: ReturnType<typeof tempDir>;
let caDir: string;
let ca: CreatedCa;
beforeAll(async () => {
  t = tempDir();
  caDir = join(t.dir, 'ca');
  ca = await createCa({ outDir: caDir, commonName: 'Test Root CA', days: 30 });
});
afterAll(() => t.cleanup());

describe('createCa', () => {
  it('writes rootCA.key (0600) and a self-signed CA certificate openssl accepts', async () => {
    expect(ca).toMatchObject({ keyFile: join(caDir, 'rootCA.key'), certFile: join(caDir, 'rootCA.crt'), serialFile: join(caDir, 'rootCA.srl') });
    expect(caPaths(caDir)).toEqual({ keyFile: ca.keyFile, certFile: ca.certFile, serialFile: ca.serialFile });
    expect(CA_FILES).toEqual({ key: 'rootCA.key', cert: 'rootCA.crt', serial: 'rootCA.srl' });
    expect(mode(ca.keyFile)).toBe(0o600);
    expect(mode(ca.certFile)).toBe(0o644);
    expect(readFileSync(ca.keyFile, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(readFileSync(ca.certFile, 'utf8')).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
    expect(await openssl('verify', '-CAfile', ca.certFile, ca.certFile)).toContain(': OK');
    const text = await openssl('x509', '-in', ca.certFile, '-text', '-noout');
    expect(text).toMatch(/Issuer: C ?= ?CN, ST ?= ?BJ, L ?= ?Beijing, OU ?= ?TUNA, CN ?= ?Test Root CA/);
    expect(text).toMatch(/Subject: C ?= ?CN, ST ?= ?BJ, L ?= ?Beijing, OU ?= ?TUNA, CN ?= ?Test Root CA/);
    expect(text).toMatch(/Basic Constraints: critical\s+CA:TRUE/);
    expect(text).toMatch(/Key Usage: critical\s+Certificate Sign, CRL Sign/);
    expect(text).toContain('sha256WithRSAEncryption');
    expect(text).toContain('Public-Key: (2048 bit)');
    // The key file is the certificate's key; validity is the days asked for.
    await expect(openssl('x509', '-in', ca.certFile, '-noout', '-checkend', String(29 * 86400))).resolves.toBeDefined();
    const x = new X509Certificate(readFileSync(ca.certFile));
    expect(x.ca).toBe(true);
    expect(new Date(x.validTo).getTime() - new Date(x.validFrom).getTime()).toBe(30 * 86_400_000);
    expect(x.serialNumber.replace(/^00/, '')).toBe(ca.serial);
    expect(ca.notAfter.getTime() - ca.notBefore.getTime()).toBe(30 * 86_400_000);
  });

  it('takes another key size and leaves out empty subject fields', async () => {
    const made = await createCa({ outDir: join(t.dir, 'ca-3072'), keySize: 3072, country: '', state: '', locality: 'Shanghai', orgUnit: '' });
    const text = await openssl('x509', '-in', made.certFile, '-text', '-noout');
    expect(text).toContain('Public-Key: (3072 bit)');
    expect(text).toMatch(/Subject: L ?= ?Shanghai, CN ?= ?tunasync root CA\n/);
  });
});

describe('createHostCertificate', () => {
  it('writes a key (0600), a CSR and a CA-signed certificate with every extension and SAN', async () => {
    const host = await createHostCertificate({
      caDir,
      name: 'worker1',
      dns: ['worker1.mirrors.example', 'localhost', '*.w1.example'],
      ip: ['127.0.0.1', '10.0.0.5', '::1'],
      outDir: join(t.dir, 'hosts'),
    });
    expect(host).toMatchObject({
      keyFile: join(t.dir, 'hosts', 'worker1.key'),
      csrFile: join(t.dir, 'hosts', 'worker1.csr'),
      certFile: join(t.dir, 'hosts', 'worker1.crt'),
      dns: ['worker1.mirrors.example', 'localhost', '*.w1.example'],
      ip: ['127.0.0.1', '10.0.0.5', '::1'],
    });
    expect(mode(host.keyFile)).toBe(0o600);
    expect(mode(host.certFile)).toBe(0o644);
    expect(await openssl('verify', '-CAfile', ca.certFile, host.certFile)).toBe(`${host.certFile}: OK\n`);
    expect(await openssl('verify', '-CAfile', ca.certFile, '-purpose', 'sslserver', host.certFile)).toContain(': OK');
    expect(await openssl('verify', '-CAfile', ca.certFile, '-purpose', 'sslclient', host.certFile)).toContain(': OK');

    const text = await openssl('x509', '-in', host.certFile, '-text', '-noout');
    expect(text).toMatch(/Issuer: C ?= ?CN, ST ?= ?BJ, L ?= ?Beijing, OU ?= ?TUNA, CN ?= ?Test Root CA/);
    expect(text).toMatch(/Subject: C ?= ?CN, ST ?= ?BJ, L ?= ?Beijing, OU ?= ?TUNA, CN ?= ?worker1\.mirrors\.example/);
    expect(text).toMatch(/Basic Constraints:\s+CA:FALSE/);
    expect(text).toMatch(/Key Usage:\s+Digital Signature, Non Repudiation, Key Encipherment/);
    expect(text).toMatch(/Extended Key Usage:\s+TLS Web Server Authentication, TLS Web Client Authentication/);
    expect(text).toMatch(
      /Subject Alternative Name:\s+DNS:worker1\.mirrors\.example, DNS:localhost, DNS:\*\.w1\.example, IP Address:127\.0\.0\.1, IP Address:10\.0\.0\.5, IP Address:0:0:0:0:0:0:0:1\n/,
    );
    expect(text).toContain('Authority Key Identifier');
    expect(text).toContain('Subject Key Identifier');
    // The certificate's AKI is the CA's SKI (chain building by key id).
    const caText = await openssl('x509', '-in', ca.certFile, '-text', '-noout');
    const caSki = /Subject Key Identifier:\s+([0-9A-F:]+)/.exec(caText)![1];
    expect(/Authority Key Identifier:\s+(?:keyid:)?([0-9A-F:]+)/.exec(text)![1]).toBe(caSki);

    // The key matches the certificate, and the CSR verifies and asks for the same extensions.
    const x = new X509Certificate(readFileSync(host.certFile));
    expect(x.checkPrivateKey(createPrivateKey(readFileSync(host.keyFile)))).toBe(true);
    expect(x.checkHost('worker1.mirrors.example')).toBe('worker1.mirrors.example');
    expect(x.checkIP('10.0.0.5')).toBe('10.0.0.5');
    const csr = await openssl('req', '-in', host.csrFile, '-verify', '-noout', '-text');
    expect(csr).toMatch(/verify OK/i);
    expect(csr).toMatch(/Requested Extensions:[\s\S]*Subject Alternative Name:\s+DNS:worker1\.mirrors\.example, DNS:localhost/);
    expect(csr).toMatch(/Subject: C ?= ?CN, ST ?= ?BJ, L ?= ?Beijing, OU ?= ?TUNA, CN ?= ?worker1\.mirrors\.example/);
  });

  it('keeps the serial in rootCA.srl as openssl does: hex, one more per certificate, openssl continues it', async () => {
    const dir = join(t.dir, 'serial');
    const own = await createCa({ outDir: dir });
    const first = await createHostCertificate({ caDir: dir, name: 'a', ip: ['127.0.0.1'], outDir: dir });
    expect(readFileSync(own.serialFile, 'utf8')).toBe(`${first.serial}\n`);
    expect(first.serial).toMatch(/^[0-9A-F]+$/);
    const second = await createHostCertificate({ caDir: dir, name: 'b', dns: ['b.example'], outDir: dir });
    expect(BigInt(`0x${second.serial}`)).toBe(BigInt(`0x${first.serial}`) + 1n);
    expect(readSerialFile(own.serialFile)).toBe(BigInt(`0x${second.serial}`));
    expect(await openssl('x509', '-in', second.certFile, '-noout', '-serial')).toBe(`serial=${second.serial}\n`);
    // openssl signing with -CAserial picks up where we left off, and we pick up after it.
    await openssl('x509', '-req', '-in', second.csrFile, '-CA', own.certFile, '-CAkey', own.keyFile, '-CAserial', own.serialFile, '-out', join(dir, 'o.crt'), '-days', '1');
    const byOpenssl = BigInt(`0x${readFileSync(own.serialFile, 'utf8').trim()}`);
    expect(byOpenssl).toBe(BigInt(`0x${second.serial}`) + 1n);
    const third = await createHostCertificate({ caDir: dir, name: 'c', dns: ['c.example'], outDir: dir });
    expect(BigInt(`0x${third.serial}`)).toBe(byOpenssl + 1n);
  });

  it('signs with a CA whose serial file holds a high-bit serial (kept positive)', async () => {
    const dir = join(t.dir, 'highbit');
    await createCa({ outDir: dir });
    writeFileSync(join(dir, 'rootCA.srl'), 'FE\n');
    const host = await createHostCertificate({ caDir: dir, name: 'h', dns: ['h.example'], outDir: dir, commonName: 'custom name', days: 2 });
    expect(host.serial).toBe('FF');
    expect(await openssl('x509', '-in', host.certFile, '-noout', '-serial', '-subject')).toMatch(/^serial=FF\nsubject=.*CN ?= ?custom name\n$/);
    expect(await openssl('verify', '-CAfile', join(dir, 'rootCA.crt'), host.certFile)).toContain(': OK');
  });

  it('uses the first IP as common name when there is no DNS name, and signs with an openssl-made RSA CA', async () => {
    const dir = join(t.dir, 'openssl-ca');
    mkdirSync(dir);
    await openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'rootCA.key'), '-out', join(dir, 'rootCA.crt'), '-days', '2', '-subj', '/CN=openssl CA');
    const host = await createHostCertificate({ caDir: dir, name: 'ip-only', ip: ['192.0.2.7'], outDir: dir });
    expect(await openssl('verify', '-CAfile', join(dir, 'rootCA.crt'), host.certFile)).toContain(': OK');
    expect(await openssl('x509', '-in', host.certFile, '-noout', '-subject', '-ext', 'subjectAltName')).toMatch(/CN ?= ?192\.0\.2\.7[\s\S]*IP Address:192\.0\.2\.7/);
    expect(DEFAULT_SUBJECT).toEqual({ country: 'CN', state: 'BJ', locality: 'Beijing', orgUnit: 'TUNA' });
  });
});
