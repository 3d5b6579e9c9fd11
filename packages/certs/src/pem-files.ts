/**
 * Writing the output files: refuse to replace existing ones unless forced,
 * then write each through a temporary file and a rename, with its mode set
 * exactly (0600 for keys, 0644 for certificates and requests) whatever the
 * umask or the mode of a file being replaced.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { FileExistsError } from './errors.js';

/** Mode of private keys. */
export const KEY_MODE = 0o600;
/** Mode of certificates, requests and the serial file. */
export const PUBLIC_MODE = 0o644;

/** PEM text with Unix line ends (node-forge writes CRLF; openssl and Node write LF). */
export function unixPem(pem: string): string {
  return pem.replace(/\r\n/g, '\n');
}

/** Throws FileExistsError listing those of `files` that exist, unless `force`. */
export function refuseToOverwrite(files: string[], force: boolean): void {
  if (force) return;
  const existing = files.filter((f) => existsSync(f));
  if (existing.length > 0) throw new FileExistsError(existing);
}

/** Writes `data` to `file` (replacing it) through a temporary file and a rename; sets `mode` exactly. */
export function writeFileReplacing(file: string, data: string, mode: number): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(tmp, data, { mode, flag: 'wx' });
    chmodSync(tmp, mode);
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}
