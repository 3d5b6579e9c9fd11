/**
 * Subject names and subjectAltName entries: the defaults of tunasync's
 * `req.cnf` (C=CN, ST=BJ, L=Beijing, OU=TUNA) and the checks on what the
 * caller passes (DNS names, IP addresses, file base names, counts).
 */
import { isIP } from 'node:net';
import { ValidationError } from '@tunasync/core';

/** Subject fields besides the common name; an empty string leaves a field out. */
export interface SubjectFields {
  /** countryName, two letters (default `CN`). */
  country?: string;
  /** stateOrProvinceName (default `BJ`). */
  state?: string;
  /** localityName (default `Beijing`). */
  locality?: string;
  /** organizationalUnitName (default `TUNA`). */
  orgUnit?: string;
}

/** The subject defaults of tunasync's documented `req.cnf`. */
/** What making a key and certificate takes besides its subject (shared by createCa and createHostCertificate). */
export interface KeyAndCertificateOptions extends SubjectFields {
  /** Directory to write into (created if missing). */
  outDir: string;
  /** Validity in days (default 365). */
  days?: number;
  /** RSA key size in bits (default 2048). */
  keySize?: number;
  /** Replace existing files instead of refusing. */
  force?: boolean;
  /** Start of validity (default now). */
  now?: Date;
}

export const DEFAULT_SUBJECT: Readonly<Required<SubjectFields>> = Object.freeze({
  country: 'CN',
  state: 'BJ',
  locality: 'Beijing',
  orgUnit: 'TUNA',
});

/** One subject attribute, as node-forge takes it. */
export interface SubjectAttribute {
  shortName: 'C' | 'ST' | 'L' | 'OU' | 'CN';
  value: string;
}

const MAX_CN = 64; // ub-common-name (RFC 5280), commonName_max in req.cnf

/** Subject attributes in openssl's order (C, ST, L, OU, CN), defaults applied, empty fields left out. */
export function subjectAttributes(commonName: string, fields: SubjectFields = {}): SubjectAttribute[] {
  if (!commonName) throw new ValidationError('the common name must not be empty', 'cn');
  if (commonName.length > MAX_CN) {
    throw new ValidationError(`common name ${JSON.stringify(commonName)} is longer than ${MAX_CN} characters (pass a shorter --cn)`, 'cn');
  }
  const f = { ...DEFAULT_SUBJECT, ...fields };
  if (f.country && !/^[A-Za-z]{2}$/.test(f.country)) {
    throw new ValidationError(`country ${JSON.stringify(f.country)} must be a two-letter code such as CN`, 'country');
  }
  const out: SubjectAttribute[] = [];
  if (f.country) out.push({ shortName: 'C', value: f.country.toUpperCase() });
  if (f.state) out.push({ shortName: 'ST', value: f.state });
  if (f.locality) out.push({ shortName: 'L', value: f.locality });
  if (f.orgUnit) out.push({ shortName: 'OU', value: f.orgUnit });
  out.push({ shortName: 'CN', value: commonName });
  return out;
}

const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?';
const HOSTNAME = new RegExp(`^(?:\\*\\.)?${LABEL}(?:\\.${LABEL})*\\.?$`);

/** Checks a DNS name for subjectAltName (a leading `*.` wildcard is allowed); returns it. */
export function checkDnsName(name: string): string {
  if (isIP(name) !== 0) throw new ValidationError(`--dns ${JSON.stringify(name)} is an IP address: pass it with --ip`, 'dns');
  if (name.length === 0 || name.length > 253 || !HOSTNAME.test(name)) {
    throw new ValidationError(`--dns ${JSON.stringify(name)} is not a valid DNS name`, 'dns');
  }
  return name;
}

/** Checks an IPv4 or IPv6 address for subjectAltName; returns it. */
export function checkIpAddress(addr: string): string {
  if (isIP(addr) === 0) throw new ValidationError(`--ip ${JSON.stringify(addr)} is not an IPv4 or IPv6 address`, 'ip');
  return addr;
}

/** Checks a base name for output files (`NAME.key`, …): no directories, no dot names. */
export function checkFileBaseName(name: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(name) || name === '.' || name === '..') {
    throw new ValidationError(`--name ${JSON.stringify(name)} must be a plain file name (letters, digits, ".", "_", "-")`, 'name');
  }
  return name;
}

/** Checks a positive whole number of days. */
export function checkDays(days: number): number {
  if (!Number.isInteger(days) || days < 1) throw new ValidationError(`--days must be a whole number of days, at least 1 (got ${String(days)})`, 'days');
  return days;
}

/** RSA key sizes accepted: 2048 to 16384 bits. */
export function checkKeySize(bits: number): number {
  if (!Number.isInteger(bits) || bits < 2048 || bits > 16384) {
    throw new ValidationError(`--key-size must be a whole number of bits from 2048 to 16384 (got ${String(bits)})`, 'key-size');
  }
  return bits;
}
