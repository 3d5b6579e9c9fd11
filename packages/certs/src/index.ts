/**
 * @tunasync/certs: the root-CA / host-certificate workflow of tunasync's TLS
 * docs as functions (and the `tunasync-certs` command), in pure JavaScript:
 * no openssl binary or configuration needed; every file is standard PEM.
 */

/** The package's name, as published. */
export const PACKAGE_NAME = '@tunasync/certs';

export { CA_FILES, DEFAULT_CA_COMMON_NAME, caPaths, createCa } from './ca.js';
export type { CaPaths, CreateCaOptions, CreatedCa } from './ca.js';
export { createHostCertificate } from './host.js';
export type { CreateHostOptions, HostCertificate } from './host.js';
export { DEFAULT_SUBJECT } from './subject.js';
export type { KeyAndCertificateOptions, SubjectFields } from './subject.js';
export { readSerialFile } from './serial.js';
export { FileExistsError } from './errors.js';
