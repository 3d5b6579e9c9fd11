/** Reading the PEM files named in a config (`ssl_cert`, `ssl_key`, `client_ca`, `ca_cert`). */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';

/**
 * Reads a PEM file named by config key `key` of `configFile`; a ConfigError
 * naming the file, the key and the reason (ENOENT, EACCES…) when it cannot.
 */
export function readPemFile(file: string, configFile: string, key: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new ConfigError([{ file: configFile, path: key, message: `cannot read ${file} (${e.code ?? e.message})` }]);
  }
}
