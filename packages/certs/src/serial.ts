/**
 * Certificate serial numbers as openssl keeps them: the CA's serial file
 * (`rootCA.srl`) holds the last serial used, in upper-case hex; signing reads
 * it (or starts from a random 159-bit number when it is missing), adds one,
 * writes it back and uses it.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { ValidationError } from '@tunasync/core';
import { writeFileReplacing } from './pem-files.js';

/** A random positive serial below 2^159, as openssl's `-CAcreateserial` and `req -x509` make. */
export function randomSerial(): bigint {
  const bytes = randomBytes(20);
  bytes[0] = bytes[0]! & 0x7f;
  const n = BigInt(`0x${bytes.toString('hex')}`);
  return n === 0n ? 1n : n;
}

/** A serial as the serial file writes it: upper-case hex, an even number of digits. */
export function serialFileHex(serial: bigint): string {
  const hex = serial.toString(16).toUpperCase();
  return hex.length % 2 === 1 ? `0${hex}` : hex;
}

/** A serial as node-forge encodes it: two's-complement hex (a leading 00 keeps it positive). */
export function certificateSerialHex(serial: bigint): string {
  const hex = serialFileHex(serial);
  return /^[89A-F]/.test(hex) ? `00${hex}` : hex;
}

/** Reads a serial file; ValidationError naming the file when it does not hold a hex number. */
export function readSerialFile(file: string): bigint {
  const text = readFileSync(file, 'utf8').trim();
  if (!/^[0-9A-Fa-f]+$/.test(text)) throw new ValidationError(`${file}: not a hex serial number (openssl's serial file format)`);
  return BigInt(`0x${text}`);
}

/**
 * Takes the next serial for a certificate: the file's value plus one, or a
 * random start when the file is missing. Writes it back before returning, so
 * a serial is never handed out twice.
 */
export function takeNextSerial(file: string): bigint {
  const next = existsSync(file) ? readSerialFile(file) + 1n : randomSerial();
  writeFileReplacing(file, `${serialFileHex(next)}\n`, 0o644);
  return next;
}
