/**
 * Reading TOML files with errors that name the file, and line and column for
 * syntax errors.
 */
import { readFileSync } from 'node:fs';
import TOML from '@iarna/toml';
import { ConfigError, errorMessage } from '../errors.js';

/** A parsed TOML document. */
export type TomlTable = Record<string, unknown>;

interface TomlSyntaxError extends Error {
  line?: number;
  col?: number;
}

/** Parses TOML text; a syntax error becomes a ConfigError naming `file`, line and column. */
export function parseToml(text: string, file: string): TomlTable {
  try {
    return toPlain(TOML.parse(text)) as TomlTable;
  } catch (err) {
    const e = err as TomlSyntaxError;
    const first = errorMessage(err).split('\n')[0]!.replace(/ at row \d+, col \d+, pos \d+:?$/, '');
    throw new ConfigError([
      {
        file,
        path: '',
        message: `TOML syntax error: ${first}`,
        ...(typeof e.line === 'number' ? { line: e.line + 1, column: (e.col ?? 0) + 1 } : {}),
      },
    ]);
  }
}

/** Reads and parses a TOML file; an unreadable file is a ConfigError naming it. */
export function readTomlFile(file: string): TomlTable {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : errorMessage(err);
    throw new ConfigError([{ file, path: '', message: `cannot read config file: ${why}` }]);
  }
  return parseToml(text, file);
}

/**
 * @iarna/toml returns objects with symbol-tagged prototypes and BigInt for
 * integers beyond 2^53; convert to plain JSON-like values so ajv and
 * structuredClone behave (a huge integer stays a BigInt and fails validation).
 */
function toPlain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toPlain);
  if (value instanceof Date) return value;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toPlain(v);
    return out;
  }
  return value;
}
