/**
 * The root CA: `createCa` makes `rootCA.key` (0600) and a self-signed
 * `rootCA.crt`; `loadCa` reads them back for signing, checking that both
 * exist, that the certificate is a CA and that the key belongs to it.
 */
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import forge from 'node-forge';
import { NotFoundError, ValidationError, errorMessage } from '@tunasync/core';
import { caExtensions } from './extensions.js';
import { generateRsaKeyPair } from './keys.js';
import { KEY_MODE, PUBLIC_MODE, refuseToOverwrite, unixPem, writeFileReplacing } from './pem-files.js';
import { certificateSerialHex, randomSerial, serialFileHex } from './serial.js';
import { checkDays, checkKeySize, subjectAttributes, type KeyAndCertificateOptions } from './subject.js';

/** The CA's file names inside its directory, as tunasync's docs name them. */
export const CA_FILES = Object.freeze({ key: 'rootCA.key', cert: 'rootCA.crt', serial: 'rootCA.srl' });

/** Default common name of a root CA. */
export const DEFAULT_CA_COMMON_NAME = 'tunasync root CA';

/** The paths of a CA directory's files. */
export interface CaPaths {
  keyFile: string;
  certFile: string;
  /** Last serial signed, in hex (openssl's `-CAserial` file). */
  serialFile: string;
}

/** Paths of the CA files in `dir`. */
export function caPaths(dir: string): CaPaths {
  const d = resolve(dir);
  return { keyFile: join(d, CA_FILES.key), certFile: join(d, CA_FILES.cert), serialFile: join(d, CA_FILES.serial) };
}

/** Options of createCa. */
export interface CreateCaOptions extends KeyAndCertificateOptions {
  /** Subject common name (default `tunasync root CA`). */
  commonName?: string;
}

/** What createCa wrote. */
export interface CreatedCa extends CaPaths {
  /** The certificate's serial, upper-case hex. */
  serial: string;
  notBefore: Date;
  notAfter: Date;
}

/** Validity window of `days` days from `now`. */
export function validity(now: Date, days: number): { notBefore: Date; notAfter: Date } {
  return { notBefore: new Date(now.getTime()), notAfter: new Date(now.getTime() + checkDays(days) * 86_400_000) };
}

/**
 * Makes a root CA in `outDir`: an RSA key (`rootCA.key`, mode 0600) and a
 * self-signed certificate (`rootCA.crt`: CA:TRUE, keyCertSign, cRLSign,
 * SHA-256). Refuses to replace existing files unless `force`.
 */
export async function createCa(options: CreateCaOptions): Promise<CreatedCa> {
  const paths = caPaths(options.outDir);
  const subject = subjectAttributes(options.commonName ?? DEFAULT_CA_COMMON_NAME, options);
  const { notBefore, notAfter } = validity(options.now ?? new Date(), options.days ?? 365);
  const bits = checkKeySize(options.keySize ?? 2048);
  refuseToOverwrite([paths.keyFile, paths.certFile], options.force ?? false);

  const keys = await generateRsaKeyPair(bits);
  const serial = randomSerial();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = certificateSerialHex(serial);
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = notAfter;
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([...caExtensions(), { name: 'authorityKeyIdentifier', keyIdentifier: true }]);
  cert.sign(keys.privateKey, forge.md.sha256.create());

  mkdirSync(resolve(options.outDir), { recursive: true });
  writeFileReplacing(paths.keyFile, keys.privateKeyPem, KEY_MODE);
  writeFileReplacing(paths.certFile, unixPem(forge.pki.certificateToPem(cert)), PUBLIC_MODE);
  return { ...paths, serial: serialFileHex(serial), notBefore, notAfter };
}

/** A CA loaded for signing. */
export interface LoadedCa extends CaPaths {
  cert: forge.pki.Certificate;
  privateKey: forge.pki.rsa.PrivateKey;
  /** The CA's subjectKeyIdentifier, as bytes (for the authorityKeyIdentifier of what it signs). */
  keyIdentifier: string;
}

function readCaFile(file: string, what: string, dir: string): string {
  if (!existsSync(file)) {
    throw new NotFoundError(`no CA in ${dir}: ${file} (the CA ${what}) does not exist; make a CA with "tunasync-certs ca --out ${dir}"`);
  }
  return readFileSync(file, 'utf8');
}

function parseCaKey(pem: string, file: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (err) {
    throw new ValidationError(`${file}: not a readable unencrypted private key: ${errorMessage(err)}`);
  }
  if (key.asymmetricKeyType !== 'rsa') throw new ValidationError(`${file}: a key of type ${String(key.asymmetricKeyType)}; only RSA CA keys are supported`);
  return key;
}

/**
 * Reads the CA in `dir` for signing. NotFoundError when `rootCA.key` or
 * `rootCA.crt` is missing; ValidationError when the certificate is not a CA
 * certificate or the key is not the certificate's.
 */
export function loadCa(dir: string): LoadedCa {
  const paths = caPaths(dir);
  const keyPem = readCaFile(paths.keyFile, 'key', dir);
  const certPem = readCaFile(paths.certFile, 'certificate', dir);
  const key = parseCaKey(keyPem, paths.keyFile);
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(certPem);
  } catch (err) {
    throw new ValidationError(`${paths.certFile}: not a PEM certificate: ${errorMessage(err)}`);
  }
  if (!x509.ca) throw new ValidationError(`${paths.certFile}: not a CA certificate (basicConstraints CA:TRUE is missing)`);
  if (!x509.checkPrivateKey(key)) {
    throw new ValidationError(`${paths.keyFile} does not match ${paths.certFile}: the key is not the CA certificate's key`);
  }
  const cert = forge.pki.certificateFromPem(certPem);
  const privateKey = forge.pki.privateKeyFromPem(key.export({ type: 'pkcs8', format: 'pem' }).toString()) as forge.pki.rsa.PrivateKey;
  const ski = cert.getExtension('subjectKeyIdentifier') as { subjectKeyIdentifier?: string } | undefined;
  const keyIdentifier = ski?.subjectKeyIdentifier
    ? forge.util.hexToBytes(ski.subjectKeyIdentifier)
    : cert.generateSubjectKeyIdentifier().getBytes();
  return { ...paths, cert, privateKey, keyIdentifier };
}
