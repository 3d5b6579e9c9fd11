/**
 * Host certificates: `createHostCertificate` makes `NAME.key` (0600), a CSR
 * (`NAME.csr`) carrying the requested extensions, and `NAME.crt` signed by
 * the CA with the next serial of its `rootCA.srl`; the workflow of tunasync's
 * docs (genrsa, req -config req.cnf, x509 -req -CAcreateserial) in one call.
 */
import { join, resolve } from 'node:path';
import forge from 'node-forge';
import { ValidationError } from '@tunasync/core';
import { loadCa, validity, type LoadedCa } from './ca.js';
import { hostExtensions } from './extensions.js';
import { generateRsaKeyPair } from './keys.js';
import { KEY_MODE, PUBLIC_MODE, refuseToOverwrite, unixPem, writeFileReplacing } from './pem-files.js';
import { certificateSerialHex, serialFileHex, takeNextSerial } from './serial.js';
import {
  checkDnsName,
  checkFileBaseName,
  checkIpAddress,
  checkKeySize,
  subjectAttributes,
  type KeyAndCertificateOptions,
} from './subject.js';

/** Options of createHostCertificate. */
export interface CreateHostOptions extends KeyAndCertificateOptions {
  /** Directory holding `rootCA.key` and `rootCA.crt` (and `rootCA.srl`, created on first use). */
  caDir: string;
  /** Base name of the files written: `NAME.key`, `NAME.csr`, `NAME.crt`. */
  name: string;
  /** DNS names for subjectAltName. */
  dns?: readonly string[];
  /** IPv4/IPv6 addresses for subjectAltName. */
  ip?: readonly string[];
  /** Subject common name (default: the first DNS name, else the first IP address). */
  commonName?: string;
}

/** What createHostCertificate wrote. */
export interface HostCertificate {
  keyFile: string;
  csrFile: string;
  certFile: string;
  /** The certificate's serial, upper-case hex (also the content of `rootCA.srl` now). */
  serial: string;
  /** The subjectAltName DNS names and IP addresses. */
  dns: string[];
  ip: string[];
  notBefore: Date;
  notAfter: Date;
}

function buildCsr(subject: forge.pki.CertificateField[], extensions: object[], keys: { publicKey: forge.pki.rsa.PublicKey; privateKey: forge.pki.rsa.PrivateKey }): forge.pki.CertificateSigningRequest {
  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = keys.publicKey;
  csr.setSubject(subject);
  csr.setAttributes([{ name: 'extensionRequest', extensions } as forge.pki.CertificateField]);
  csr.sign(keys.privateKey, forge.md.sha256.create());
  return csr;
}

function signCsr(ca: LoadedCa, csr: forge.pki.CertificateSigningRequest, serial: bigint, window: { notBefore: Date; notAfter: Date }): forge.pki.Certificate {
  if (!csr.verify()) throw new ValidationError('the certificate request does not verify against its own key');
  const requested = csr.getAttribute({ name: 'extensionRequest' }) as { extensions?: object[] } | null;
  const cert = forge.pki.createCertificate();
  cert.publicKey = csr.publicKey!;
  cert.serialNumber = certificateSerialHex(serial);
  cert.validity.notBefore = window.notBefore;
  cert.validity.notAfter = window.notAfter;
  cert.setSubject(csr.subject.attributes);
  cert.setIssuer(ca.cert.subject.attributes);
  cert.setExtensions([
    ...(requested?.extensions ?? []),
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: ca.keyIdentifier },
  ]);
  cert.sign(ca.privateKey, forge.md.sha256.create());
  return cert;
}

/**
 * Makes a host key, a CSR and a certificate signed by the CA in `caDir`.
 * Needs at least one DNS name or IP address; refuses to replace existing
 * files unless `force`. The certificate has basicConstraints CA:FALSE,
 * keyUsage nonRepudiation/digitalSignature/keyEncipherment, extendedKeyUsage
 * serverAuth/clientAuth and a subjectAltName of every DNS name and address.
 */
export async function createHostCertificate(options: CreateHostOptions): Promise<HostCertificate> {
  const name = checkFileBaseName(options.name);
  const dns = (options.dns ?? []).map(checkDnsName);
  const ip = (options.ip ?? []).map(checkIpAddress);
  if (dns.length === 0 && ip.length === 0) {
    throw new ValidationError('a host certificate needs at least one --dns name or --ip address (its subjectAltName)', 'dns');
  }
  const subject = subjectAttributes(options.commonName ?? dns[0] ?? ip[0]!, options);
  const window = validity(options.now ?? new Date(), options.days ?? 365);
  const bits = checkKeySize(options.keySize ?? 2048);
  const out = resolve(options.outDir);
  const files = { keyFile: join(out, `${name}.key`), csrFile: join(out, `${name}.csr`), certFile: join(out, `${name}.crt`) };
  const ca = loadCa(options.caDir);
  refuseToOverwrite([files.keyFile, files.csrFile, files.certFile], options.force ?? false);

  const serial = takeNextSerial(ca.serialFile);
  const keys = await generateRsaKeyPair(bits);
  const csr = buildCsr(subject, hostExtensions(dns, ip), keys);
  const cert = signCsr(ca, csr, serial, window);

  writeFileReplacing(files.keyFile, keys.privateKeyPem, KEY_MODE);
  writeFileReplacing(files.csrFile, unixPem(forge.pki.certificationRequestToPem(csr)), PUBLIC_MODE);
  writeFileReplacing(files.certFile, unixPem(forge.pki.certificateToPem(cert)), PUBLIC_MODE);
  return { ...files, serial: serialFileHex(serial), dns, ip, ...window };
}
